"""Scoped read endpoints for registry people and households. Every read of personal data is
audited (the ids returned are recorded)."""

from datetime import date

from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from pksai.audit.services import audit_record
from pksai.registry import selectors

router = Router()


class PersonOut(Schema):
    id: int
    source: str
    household_id: int
    household_key: str
    person_key: str
    village_code: str
    nik: str
    name: str
    sex: str
    birth_date: date
    relationship: str
    school_participation: str
    school_level: str
    disability_type: str
    disability_severity: str
    chronic_illness: bool | None
    work_status: str
    birth_certificate: bool | None
    orphanhood: str
    other_programs: str
    dq_flags: str

    @staticmethod
    def resolve_village_code(obj) -> str:
        return obj.village_id


class HouseholdOut(Schema):
    id: int
    source: str
    registry_id: str
    kk_number: str
    village_code: str
    address: str
    welfare_decile: int | None

    @staticmethod
    def resolve_village_code(obj) -> str:
        return obj.village_id


class PersonFilters(Schema):
    area: str | None = None
    sex: str | None = None
    born_after: date | None = None
    born_before: date | None = None
    nik: str | None = None
    flag: str | None = None


class AuditedPagination(PageNumberPagination):
    """Page through a queryset and record which personal records were returned."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        result = super().paginate_queryset(queryset, pagination, request, **params)
        audit_record(
            action="view",
            object_type=queryset.model._meta.label_lower,
            detail={
                "ids": [obj.pk for obj in result["items"]],
                "filters": {k: v for k, v in request.GET.items() if v},
            },
        )
        return result


@router.get("/people/", response=list[PersonOut], summary="People in the registry (scoped)")
@paginate(AuditedPagination)
def list_people(request, filters: Query[PersonFilters]):
    return selectors.person_list(user=request.auth, **filters.dict())


@router.get("/people/{pk}/", response=PersonOut, summary="One person (404 if out of scope)")
def get_person(request, pk: int):
    person = selectors.person_get(user=request.auth, pk=pk)
    audit_record(action="view", obj=person, object_repr=f"person {person.pk}")
    return person


@router.get("/households/", response=list[HouseholdOut], summary="Households (scoped)")
@paginate(AuditedPagination)
def list_households(request, area: str | None = None):
    return selectors.household_list(user=request.auth, area=area)


@router.get(
    "/households/{pk}/", response=HouseholdOut, summary="One household (404 if out of scope)"
)
def get_household(request, pk: int):
    household = selectors.household_get(user=request.auth, pk=pk)
    audit_record(action="view", obj=household)
    return household
