"""Consents, legal grounds, requests and breaches for tests, through the services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from pksai.privacy import services
from pksai.privacy.models import Consent


def give_consent(case, by, *, purpose: str = "referral", **kw) -> Consent:
    """A guardian's consent for ``purpose`` about ``case``'s child, recorded by ``by`` (who
    needs privacy.add_consent: any case worker)."""
    data = {
        "purpose": purpose,
        "given_by_name": "Ibu Sari",
        "relationship": "mother",
        "given_at": timezone.now() - timedelta(minutes=1),
        "how": "Formulir bertanda tangan",
    } | kw
    return services.consent_record(by=by, case=case, data=services.ConsentInput(**data))
