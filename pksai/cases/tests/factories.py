from datetime import date

from pksai.registry.models import Household, Person


def make_child(
    name: str = "Anak",
    *,
    village: str = "73.71.01.1001",
    birth: date = date(2014, 5, 1),
    sex: str = "F",
    nik: str = "",
) -> Person:
    """A registry person for case tests (the importer is tested elsewhere)."""
    n = Person.objects.count() + 1
    household = Household.objects.create(
        source="TEST", registry_id=f"T{n}", village_id=village, row_hash="-"
    )
    return Person.objects.create(
        household=household,
        source="TEST",
        household_key=f"T{n}",
        person_key="1",
        village_id=village,
        nik=nik,
        name=name,
        sex=sex,
        birth_date=birth,
        relationship="child",
        row_hash="-",
    )
