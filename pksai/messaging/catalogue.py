"""The message kinds: for each, its purpose, the placeholders its templates may use, sample
values for the admin's preview, and the shipped default texts (the data migration writes them;
the admin adds versions). Placeholders are written ``{name}``; anything else in braces is an
error when a template is saved."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pksai.messaging.models import Purpose

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Kind:
    purpose: str
    placeholders: tuple[str, ...]
    sample: Mapping[str, str]


KINDS: dict[str, Kind] = {
    "complaint_received": Kind(
        Purpose.COMPLAINT,
        ("code", "status_link"),
        {"code": "ADU-7QX4-M2KP", "status_link": "https://pksai.example/pengaduan/status/"},
    ),
    "complaint_escalated": Kind(
        Purpose.COMPLAINT, ("code", "level"), {"code": "ADU-7QX4-M2KP", "level": "provinsi"}
    ),
    "complaint_resolved": Kind(
        Purpose.COMPLAINT,
        ("code", "resolution", "rating_link"),
        {
            "code": "ADU-7QX4-M2KP",
            "resolution": "Data penerima diperbaiki.",
            "rating_link": "https://pksai.example/pengaduan/status/",
        },
    ),
    "payment_notice": Kind(
        Purpose.PAYMENT,
        ("program", "amount", "periods", "where", "from_date"),
        {
            "program": "PKSA",
            "amount": "Rp 600.000",
            "periods": "2026-01, 2026-02",
            "where": "Kantor Pos",
            "from_date": "15-01-2026",
        },
    ),
    "payment_held": Kind(
        Purpose.PAYMENT, ("program", "amount"), {"program": "PKSA", "amount": "Rp 600.000"}
    ),
    "referral_satisfaction": Kind(
        Purpose.REFERRAL,
        ("provider", "link"),
        {"provider": "Puskesmas Tamalanrea", "link": "https://pksai.example/s/abc/"},
    ),
    "referral_new": Kind(
        Purpose.WORK,
        ("service", "link"),
        {"service": "Konseling", "link": "https://pksai.example/portal/"},
    ),
    "referral_overdue": Kind(
        Purpose.WORK,
        ("service", "link"),
        {"service": "Konseling", "link": "https://pksai.example/portal/"},
    ),
    "work_alert": Kind(
        Purpose.WORK,
        ("text", "link"),
        {"text": "Kasus 7371-2026-0012 lewat batas waktu.", "link": "https://pksai.example/"},
    ),
    "opt_out_confirmed": Kind(Purpose.SERVICE, (), {}),
    "complaint_status": Kind(
        Purpose.SERVICE,
        ("code", "status", "level"),
        {"code": "ADU-7QX4-M2KP", "status": "sedang diperiksa", "level": "kabupaten/kota"},
    ),
    "inbound_unknown_code": Kind(Purpose.SERVICE, ("code",), {"code": "ADU-7QX4-M2KP"}),
    "inbound_help": Kind(Purpose.SERVICE, (), {}),
}


LABELS = {
    "complaint_received": gettext_lazy("complaint received, tracking code"),
    "complaint_escalated": gettext_lazy("complaint escalated"),
    "complaint_resolved": gettext_lazy("complaint resolved, rating link"),
    "payment_notice": gettext_lazy("payment notice"),
    "payment_held": gettext_lazy("payment held at the post office"),
    "referral_satisfaction": gettext_lazy("satisfaction link"),
    "referral_new": gettext_lazy("new referral"),
    "referral_overdue": gettext_lazy("referral overdue"),
    "work_alert": gettext_lazy("work alert"),
    "opt_out_confirmed": gettext_lazy("opt-out confirmed"),
    "complaint_status": gettext_lazy("complaint status, asked by code"),
    "inbound_unknown_code": gettext_lazy("unknown tracking code"),
    "inbound_help": gettext_lazy("how to use the service number"),
}


def placeholders_in(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def template_errors(code: str, text: str, subject: str = "") -> list[str]:
    """What is wrong with a template's text: an unknown message, or a placeholder the
    message does not declare (a typo would otherwise reach the recipient as ``{amout}``)."""
    kind = KINDS.get(code)
    if kind is None:
        return [_("There is no message called %(code)s.") % {"code": code}]
    errors = []
    for name in placeholders_in(text) + placeholders_in(subject):
        if name not in kind.placeholders:
            errors.append(
                _("{%(name)s} is not a value of this message; it may use: %(allowed)s.")
                % {
                    "name": name,
                    "allowed": ", ".join(f"{{{p}}}" for p in kind.placeholders) or "-",
                }
            )
    return errors


def render(text: str, params: Mapping[str, object]) -> str:
    """``text`` with each ``{name}`` replaced by its value (missing values: empty)."""
    return PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), "")), text)
