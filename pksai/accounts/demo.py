"""Demo accounts for the five pilot sites. Later apps add their demo data to `pksai demo`."""

from __future__ import annotations

import os

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import transaction

from pksai.accounts.models import Organisation, User
from pksai.accounts.roles import ROLES, sync_roles
from pksai.accounts.services import user_create
from pksai.areas.models import Area

DEMO_PASSWORD = os.environ.get("PKSAI_DEMO_PASSWORD", "demo-pksai-2026")

# slug, Kemendagri code, secretariat name
PILOT_SITES = (
    ("makassar", "73.71", "Sekretariat PKSAI Kota Makassar"),
    ("gowa", "73.06", "Sekretariat PKSAI Kabupaten Gowa"),
    ("surakarta", "33.72", "Sekretariat PKSAI Kota Surakarta"),
    ("klaten", "33.10", "Sekretariat PKSAI Kabupaten Klaten"),
    ("tulungagung", "35.04", "Sekretariat PKSAI Kabupaten Tulungagung"),
)
NATIONAL_ROLES = (
    "national_analyst",
    "auditor",
    "administrator",
    "program_officer",
    "complaints_officer",
)
SITE_ROLES = tuple(
    r.slug for r in ROLES if r.slug not in {"national_analyst", "auditor", "administrator"}
)
# Demo people get people's names (the header shows the name beside the role in the reader's
# language, so a name like "Social Worker Kota Makassar" would show the role twice, in English).
_FIRST_NAMES = (
    "Andi", "Siti", "Budi", "Nur", "Rina", "Agus", "Dewi", "Yusuf", "Fitri", "Hendra",
    "Lestari", "Rudi", "Wulan", "Arif", "Maya", "Bayu", "Indah",
)  # fmt: skip
_FAMILY_NAMES = ("Rahman", "Wijaya", "Pratama", "Siregar", "Hidayat", "Saputra", "Kusuma")


def demo_name(n: int) -> tuple[str, str]:
    """The n-th demo person's first and family name: different for every n below 17 × 7."""
    return _FIRST_NAMES[n % len(_FIRST_NAMES)], _FAMILY_NAMES[n % len(_FAMILY_NAMES)]


@transaction.atomic
def demo_accounts() -> list[tuple[str, str, str]]:
    """Create (or leave as they are) one user per role per pilot site, and national users.

    Returns (username, role, scope) for every demo user."""
    sync_roles()
    created: list[tuple[str, str, str]] = []
    ministry_area = Area.objects.get(code="31")  # DKI Jakarta
    ministry, _ = Organisation.objects.get_or_create(
        name="Kementerian Sosial RI",
        area=ministry_area,
        defaults={"kind": Organisation.Kind.MINISTRY},
    )
    for site_index, (slug, code, secretariat_name) in enumerate(PILOT_SITES):
        area = Area.objects.get(code=code)
        secretariat, _ = Organisation.objects.get_or_create(
            name=secretariat_name, area=area, defaults={"kind": Organisation.Kind.SECRETARIAT}
        )
        puskesmas, _ = Organisation.objects.get_or_create(
            name=f"Puskesmas {area.name.removeprefix('Kota ').removeprefix('Kabupaten ')}",
            area=area,
            defaults={"kind": Organisation.Kind.SERVICE_PROVIDER},
        )
        for role_index, role in enumerate(SITE_ROLES):
            username = f"{slug}.{role}"
            first_name, last_name = demo_name(site_index * len(SITE_ROLES) + role_index)
            organisation = puskesmas if role == "focal_person" else secretariat
            if not User.objects.filter(username=username).exists():
                user_create(
                    username=username,
                    password=None,
                    roles=[role],
                    scope_areas=[code],
                    organisation=organisation,
                    first_name=first_name,
                    last_name=last_name,
                )
            created.append((username, role, f"{code} {area.name}"))
    for role_index, role in enumerate(NATIONAL_ROLES):
        username = f"national.{role}"
        first_name, last_name = demo_name(len(PILOT_SITES) * len(SITE_ROLES) + role_index)
        if not User.objects.filter(username=username).exists():
            user_create(
                username=username,
                password=None,
                roles=[role],
                is_national=True,
                organisation=ministry,
                first_name=first_name,
                last_name=last_name,
            )
        created.append((username, role, "national"))
    # One hash for all demo users (Argon2 is deliberately slow); only users still without one.
    unusable = UNUSABLE_PASSWORD_PREFIX
    User.objects.filter(
        username__in=[u for u, _r, _s in created], password__startswith=unusable
    ).update(password=make_password(DEMO_PASSWORD))
    return created
