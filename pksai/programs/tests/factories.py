from datetime import date

from pksai.programs.models import Nomination, Program
from pksai.registry.models import Household, Identity, Person


def make_person(
    name: str,
    *,
    village: str = "73.71.01.1001",
    birth: date = date(1980, 1, 1),
    sex: str = "M",
    nik: str = "",
    decile: int | None = 2,
    **person,
) -> Person:
    n = Person.objects.count() + 1
    household = Household.objects.create(
        source="TEST", registry_id=f"P{n}", village_id=village, row_hash="-", welfare_decile=decile
    )
    created = Person.objects.create(
        household=household,
        source="TEST",
        household_key=f"P{n}",
        person_key="1",
        village_id=village,
        nik=nik,
        name=name,
        sex=sex,
        birth_date=birth,
        relationship="head",
        row_hash="-",
        **person,
    )
    created.identity = Identity.objects.create(primary=created)
    created.save(update_fields=["identity"])
    return created


def nominate_disabled(by, name: str, *, disability_type="physical", dependency="total", **kw):
    """A JSPACA nominee: severe disability, dependent, no fixed income (eligible by default)."""
    from pksai.programs.services import nominate

    profile = {
        "dependency": dependency,
        "fixed_income": kw.pop("fixed_income", False),
        "assistive_device_needed": kw.pop("assistive_device_needed", False),
        "bedridden": kw.pop("bedridden", False),
        "in_institution": kw.pop("in_institution", False),
    }
    person = make_person(
        name,
        disability_type=disability_type,
        disability_severity=kw.pop("severity", "severe"),
        **kw,
    )
    return nominate(
        by=by,
        program=Program.objects.get(code="jspaca"),
        year=2026,
        person=person,
        source=Nomination.Source.OFFICE,
        profile=profile,
    )
