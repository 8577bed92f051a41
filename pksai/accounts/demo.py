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
    # the ministry's data centre: sees every import batch, the demo's three-province extract
    # included (a district's data officer sees only batches filed under their area)
    "data_officer",
    # the ministry's data protection officer (requests and breaches nationwide)
    "data_protection_officer",
)
SITE_ROLES = tuple(
    r.slug for r in ROLES if r.slug not in {"national_analyst", "auditor", "administrator"}
)

# Every demo user's display name (first, last): people of the region, so pages, the audit log
# and the home greeting ("Selamat datang, Andi Pratama") read like the real thing. Usernames
# stay <site>.<role> (docs and tests rely on them). <site>.dukcapil is the civil registry's
# focal person (pksai.referrals.demo).
DEMO_NAMES: dict[str, tuple[str, str]] = {
    # Kota Makassar
    "makassar.coordinator": ("Andi", "Pratama"),
    "makassar.supervisor": ("Nurhayati", "Syamsuddin"),
    "makassar.psychologist": ("Rahmawati", "Hasan"),
    "makassar.data_officer": ("Muhammad Ilham", "Saputra"),
    "makassar.registration_staff": ("Sitti Aminah", "Ramli"),
    "makassar.social_worker": ("Fitriani", "Rasyid"),
    "makassar.focal_person": ("Hendra", "Gunawan"),
    "makassar.program_officer": ("Syahrul", "Ramadhan"),
    "makassar.complaints_officer": ("Irma", "Suryani"),
    "makassar.data_protection_officer": ("Nurfadillah", "Amir"),
    "makassar.dukcapil": ("Abdul Rahman", "Tahir"),
    # Kabupaten Gowa
    "gowa.coordinator": ("Muhammad Yusuf", "Kadir"),
    "gowa.supervisor": ("Hasnah", "Mappiasse"),
    "gowa.psychologist": ("Dian", "Anggraini"),
    "gowa.data_officer": ("Ahmad", "Fauzi"),
    "gowa.registration_staff": ("Nurul", "Hidayah"),
    "gowa.social_worker": ("Rusdi", "Syarifuddin"),
    "gowa.focal_person": ("Hasriani", "Nur"),
    "gowa.program_officer": ("Arief", "Budiman"),
    "gowa.complaints_officer": ("Rismawati", "Baharuddin"),
    "gowa.data_protection_officer": ("Sukmawati", "Dg. Ngai"),
    "gowa.dukcapil": ("Kamaruddin", "Sila"),
    # Kota Surakarta
    "surakarta.coordinator": ("Bambang", "Sutrisno"),
    "surakarta.supervisor": ("Endang", "Sulistyowati"),
    "surakarta.psychologist": ("Retno", "Wulandari"),
    "surakarta.data_officer": ("Agus", "Setiawan"),
    "surakarta.registration_staff": ("Sri", "Wahyuni"),
    "surakarta.social_worker": ("Joko", "Susilo"),
    "surakarta.focal_person": ("Tri", "Handayani"),
    "surakarta.program_officer": ("Wahyu", "Hidayat"),
    "surakarta.complaints_officer": ("Dewi Kartika", "Sari"),
    "surakarta.data_protection_officer": ("Bayu", "Wicaksono"),
    "surakarta.dukcapil": ("Heru", "Prasetyo"),
    # Kabupaten Klaten
    "klaten.coordinator": ("Sugeng", "Raharjo"),
    "klaten.supervisor": ("Puji", "Astuti"),
    "klaten.psychologist": ("Ayu", "Kusumawati"),
    "klaten.data_officer": ("Yoga", "Pradana"),
    "klaten.registration_staff": ("Siti", "Maryam"),
    "klaten.social_worker": ("Eko", "Prasetyo"),
    "klaten.focal_person": ("Wiwik", "Widayati"),
    "klaten.program_officer": ("Dwi", "Cahyono"),
    "klaten.complaints_officer": ("Rina", "Susanti"),
    "klaten.data_protection_officer": ("Lestari", "Handayani"),
    "klaten.dukcapil": ("Suparman", "Hadi"),
    # Kabupaten Tulungagung
    "tulungagung.coordinator": ("Hadi", "Purnomo"),
    "tulungagung.supervisor": ("Siti", "Khoiriyah"),
    "tulungagung.psychologist": ("Nia", "Rahmawati"),
    "tulungagung.data_officer": ("Fajar", "Nugroho"),
    "tulungagung.registration_staff": ("Umi", "Kulsum"),
    "tulungagung.social_worker": ("Ahmad", "Mustofa"),
    "tulungagung.focal_person": ("Yuli", "Astutik"),
    "tulungagung.program_officer": ("Rudi", "Hartono"),
    "tulungagung.complaints_officer": ("Indah", "Permatasari"),
    "tulungagung.data_protection_officer": ("Anik", "Suryaningsih"),
    "tulungagung.dukcapil": ("Imam", "Santoso"),
    # Kementerian Sosial (national)
    "national.national_analyst": ("Rizky", "Firmansyah"),
    "national.auditor": ("Ratna", "Kusuma"),
    "national.administrator": ("Yudi", "Hermawan"),
    "national.program_officer": ("Maria", "Ulfah"),
    "national.complaints_officer": ("Theresia", "Simanjuntak"),
    "national.data_officer": ("Dewi", "Kartika"),
    "national.data_protection_officer": ("Fransiska", "Siregar"),
}


def demo_name(username: str) -> tuple[str, str]:
    """The display name (first, last) of a demo user."""
    return DEMO_NAMES[username]


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
    for slug, code, secretariat_name in PILOT_SITES:
        area = Area.objects.get(code=code)
        secretariat, _ = Organisation.objects.get_or_create(
            name=secretariat_name, area=area, defaults={"kind": Organisation.Kind.SECRETARIAT}
        )
        puskesmas, _ = Organisation.objects.get_or_create(
            name=f"Puskesmas {area.name.removeprefix('Kota ').removeprefix('Kabupaten ')}",
            area=area,
            defaults={"kind": Organisation.Kind.SERVICE_PROVIDER},
        )
        for role in SITE_ROLES:
            username = f"{slug}.{role}"
            organisation = puskesmas if role == "focal_person" else secretariat
            if not User.objects.filter(username=username).exists():
                first_name, last_name = demo_name(username)
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
    for role in NATIONAL_ROLES:
        username = f"national.{role}"
        if not User.objects.filter(username=username).exists():
            first_name, last_name = demo_name(username)
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
