"""One DCI search request (``search_request[i].search_criteria``) → the caller's rows → DCI
records. The caller's scope is an area scope like a user's (``accounts.scoping.Scope``): its
filter is applied to every query, and a predicate naming an area outside it is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from pksai.accounts.scoping import Scope
from pksai.areas.codes import normalise_area_code
from pksai.programs.models import Beneficiary
from pksai.registry.models import Person
from pksai.registry.selectors import nik_q

PEOPLE = "person"
BENEFICIARIES = "beneficiary"
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
NIK_TYPES = {"NIK", "UIN", "NATIONALID", "NID"}
SEX = {"male": "M", "m": "M", "1": "M", "female": "F", "f": "F", "2": "F"}
SORTS = {
    "birth_date": "birth_date",
    "name": "name",
    "area_code": "village_id",
    "id": "pk",
}

SOCIAL_CONTEXT = {
    "spdci": "https://schema.spdci.org/extensions/social/v1/",
    "common": "https://schema.spdci.org/common/v1/",
}
IBR_CONTEXT = {"@vocab": "https://schema.spdci.org/extensions/ibr/v1"}


class Rejected(Exception):
    """A search request refused: ``code`` is a DCI SearchStatusReasonCode."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Result:
    record_type: str
    records: list[dict]
    page_size: int
    page_number: int
    total_count: int
    ids: list[int] = field(default_factory=list)


def caller_scope(caller) -> Scope:
    """The caller's scope, built like a user's: national, or the codes of its areas."""
    if caller.national:
        return Scope(national=True, area_codes=())
    return Scope(
        national=False, area_codes=tuple(sorted(caller.areas.values_list("pk", flat=True)))
    )


def record_type(criteria: dict) -> str:
    raw = str(criteria.get("reg_record_type") or criteria.get("response_entity") or PEOPLE)
    name = raw.rsplit(":", 1)[-1].strip().lower()
    if name in {"person", "member", "sr_person", "srperson"}:
        return PEOPLE
    if name in {"beneficiary", "beneficiaries"}:
        return BENEFICIARIES
    raise Rejected("rjct.search_criteria.invalid", f"Record type {raw!r} is not offered.")


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _number(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise Rejected("rjct.search_criteria.invalid", f"{name}: a whole number.") from exc
    if not 0 <= number <= 150:
        raise Rejected("rjct.search_criteria.invalid", f"{name}: out of range.")
    return number


def _date(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise Rejected("rjct.search_criteria.invalid", f"{name}: a date YYYY-MM-DD.") from exc


def _compare(path: str, op: str, value: Any) -> Q:
    lookup = {"eq": "", "gt": "__gt", "lt": "__lt", "ge": "__gte", "le": "__lte"}.get(op)
    if lookup is None:
        raise Rejected("rjct.search_criteria.invalid", f"Operator {op!r} not allowed here.")
    return Q(**{path + lookup: value})


def _predicate(expression: Any, *, kind: str, scope: Scope, prefix: str) -> Q:
    if not isinstance(expression, dict):
        raise Rejected("rjct.search_criteria.invalid", "An expression is an object.")
    name = str(expression.get("attribute_name", "")).strip().lower()
    op = str(expression.get("operator", "")).strip().lower()
    value = expression.get("attribute_value")
    today = timezone.localdate()
    village = prefix + "village"
    birth = prefix + "birth_date"
    if name in {"area_code", "area", "location", "region_code"}:
        values = value if op == "in" and isinstance(value, list) else [value]
        if op not in {"eq", "in"} or not values:
            raise Rejected("rjct.search_criteria.invalid", "area_code takes eq or in.")
        match = Q()
        for raw in values:
            code = normalise_area_code(str(raw or ""))
            if code is None:
                raise Rejected("rjct.search_criteria.invalid", f"No area code {raw!r}.")
            if not scope.covers(code):
                raise Rejected(
                    "rjct.search_criteria.invalid", f"Area {code} is outside the caller's scope."
                )
            path = f"{village}__code"
            match |= Q(**{path: code}) | Q(**{f"{path}__startswith": code + "."})
        return match
    if name == "sex":
        sex = SEX.get(str(value).strip().lower())
        if op != "eq" or sex is None:
            raise Rejected("rjct.search_criteria.invalid", "sex eq male|female.")
        return Q(**{prefix + "sex": sex})
    if name == "age":
        years = _number(value, "age")
        young, old = _years_ago(today, years), _years_ago(today, years + 1)
        return {
            "eq": Q(**{birth + "__gt": old, birth + "__lte": young}),
            "gt": Q(**{birth + "__lte": old}),
            "ge": Q(**{birth + "__lte": young}),
            "lt": Q(**{birth + "__gt": young}),
            "le": Q(**{birth + "__gt": old}),
        }.get(op) or _compare(birth, op, None)
    if name in {"birth_date", "dob", "birthdate"}:
        return _compare(birth, op, _date(value, name))
    if name == "yob":
        try:
            year = int(value)
        except (TypeError, ValueError) as exc:
            raise Rejected("rjct.search_criteria.invalid", "yob: a year.") from exc
        if not 1880 <= year <= today.year:
            raise Rejected("rjct.search_criteria.invalid", "yob: out of range.")
        return _compare(birth + "__year", op, year)
    if kind == BENEFICIARIES and name in {"programme_identifier", "program", "programme"}:
        values = value if op == "in" and isinstance(value, list) else [value]
        if op not in {"eq", "in"}:
            raise Rejected("rjct.search_criteria.invalid", "programme_identifier takes eq or in.")
        return Q(program__code__in=[str(v) for v in values])
    if kind == BENEFICIARIES and name in {"enrolment_status", "enrollment_status"}:
        if op != "eq":
            raise Rejected("rjct.search_criteria.invalid", "enrolment_status takes eq.")
        return Q(status=str(value).lower())
    raise Rejected("rjct.search_criteria.invalid", f"Attribute {name!r} cannot be searched.")


def _query(criteria: dict, *, kind: str, scope: Scope) -> Q:
    query_type = str(criteria.get("query_type", "")).strip().lower()
    query = criteria.get("query")
    prefix = "person__" if kind == BENEFICIARIES else ""
    if query_type == "idtype-value":
        if not isinstance(query, dict) or str(query.get("type", "")).upper() not in NIK_TYPES:
            raise Rejected(
                "rjct.search_criteria.invalid", "idtype-value takes type NIK (or UIN) and a value."
            )
        value = str(query.get("value", "")).strip()
        if not (len(value) == 16 and value.isdigit()):
            raise Rejected("rjct.search_criteria.invalid", "A NIK has 16 digits.")
        return nik_q(value, path=prefix)
    if query_type == "predicate":
        if not isinstance(query, list) or not query:
            raise Rejected("rjct.search_criteria.invalid", "predicate takes a list of expressions.")
        match = Q()
        for item in query:
            if not isinstance(item, dict) or "expression1" not in item:
                raise Rejected("rjct.search_criteria.invalid", "Each predicate has expression1.")
            one = _predicate(item["expression1"], kind=kind, scope=scope, prefix=prefix)
            condition = str(item.get("condition") or "").strip().lower()
            if condition:
                if "expression2" not in item or condition not in {"and", "or", "not"}:
                    raise Rejected(
                        "rjct.search_criteria.invalid", "condition and/or/not with expression2."
                    )
                two = _predicate(item["expression2"], kind=kind, scope=scope, prefix=prefix)
                one = {"and": one & two, "or": one | two, "not": one & ~two}[condition]
            match &= one
        return match
    if query_type == "expression":
        raise Rejected(
            "rjct.search_criteria.invalid",
            "Expression queries are not offered; use idtype-value or predicate.",
        )
    raise Rejected("rjct.search_criteria.invalid", f"Unknown query_type {query_type!r}.")


def _page(criteria: dict) -> tuple[int, int]:
    pagination = criteria.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise Rejected("rjct.pagination.invalid", "pagination is an object.")
    try:
        size = int(pagination.get("page_size", DEFAULT_PAGE_SIZE))
        number = int(pagination.get("page_number", 1) or 1)
    except (TypeError, ValueError) as exc:
        raise Rejected("rjct.pagination.invalid", "page_size and page_number are numbers.") from exc
    if not 1 <= size <= MAX_PAGE_SIZE or number < 1 or number > 1_000_000:
        raise Rejected(
            "rjct.pagination.invalid", f"page_size 1–{MAX_PAGE_SIZE}, page_number from 1."
        )
    return size, number


def _order(criteria: dict, *, kind: str) -> list[str]:
    sort = criteria.get("sort") or []
    if not isinstance(sort, list):
        raise Rejected("rjct.sort.invalid", "sort is a list.")
    prefix = "person__" if kind == BENEFICIARIES else ""
    order = []
    for item in sort:
        name = str((item or {}).get("attribute_name", "")).strip().lower()
        direction = str((item or {}).get("sort_order", "asc")).strip().lower()
        if name not in SORTS or direction not in {"asc", "desc"}:
            raise Rejected("rjct.sort.invalid", f"Cannot sort by {name!r} {direction!r}.")
        column = SORTS[name]
        column = "pk" if column == "pk" else prefix + column
        order.append(("-" if direction == "desc" else "") + column)
    return [*order, "pk"]


def _rows(kind: str, scope: Scope) -> QuerySet:
    if kind == PEOPLE:
        return (
            Person.objects.filter(in_registry=True)
            .filter(scope.q("village"))
            .select_related("village")
        )
    return (
        Beneficiary.objects.filter(scope.q("area"))
        .select_related("person__village", "program")
        .filter(person__in_registry=True)
    )


def run(criteria: Any, *, caller, scope: Scope) -> Result:
    """The page of records one search criteria asks for, inside the caller's scope; Rejected
    when the criteria are invalid or reach outside what the caller may see."""
    if not isinstance(criteria, dict):
        raise Rejected("rjct.search_criteria.invalid", "search_criteria is an object.")
    kind = record_type(criteria)
    if kind == PEOPLE and not caller.may_search_people:
        raise Rejected("rjct.search_criteria.invalid", "This caller may not search people.")
    if kind == BENEFICIARIES and not caller.may_search_beneficiaries:
        raise Rejected("rjct.search_criteria.invalid", "This caller may not search beneficiaries.")
    match = _query(criteria, kind=kind, scope=scope)
    size, number = _page(criteria)
    rows = _rows(kind, scope).filter(match).order_by(*_order(criteria, kind=kind))
    total = rows.count()
    page = list(rows[(number - 1) * size : number * size])
    build = person_record if kind == PEOPLE else beneficiary_record
    return Result(
        record_type=kind,
        records=[build(row) for row in page],
        page_size=size,
        page_number=number,
        total_count=total,
        ids=[row.pk for row in page],
    )


# --- records -----------------------------------------------------------------------------


def _identifier(kind: str, value: str) -> dict:
    return {"@type": "Identifier", "identifier_type": kind, "identifier_value": value}


def person_record(person: Person) -> dict:
    """A registry person in the DCI social-registry Person shape (SR_Person)."""
    identifiers = [_identifier("PKSAI_PERSON", str(person.pk))]
    if person.nik:
        identifiers.insert(0, _identifier("NIK", person.nik))
    attributes = [{"name": "household_id", "value": person.household_key}]
    if person.birth_certificate is not None:
        attributes.append({"name": "birth_certificate", "value": person.birth_certificate})
    return {
        "@context": SOCIAL_CONTEXT,
        "@id": f"urn:pksai:person:{person.pk}",
        "@type": "spdci:SR_Person",
        "identifier": identifiers,
        "name": {"@type": "Name", "given_name": person.name},
        "birth_date": person.birth_date.isoformat(),
        "sex": {"M": "male", "F": "female"}.get(person.sex, "unknown"),
        "address": [
            {
                "@type": "Address",
                "region_code": person.village_id,
                "locality": person.village.name,
                "country_code": "ID",
            }
        ],
        "additional_attributes": attributes,
    }


def beneficiary_record(beneficiary: Beneficiary) -> dict:
    """An enrolment in the DCI beneficiary shape (the IBR extension's Beneficiary)."""
    return {
        "@context": IBR_CONTEXT,
        "@id": f"urn:pksai:beneficiary:{beneficiary.pk}",
        "@type": "Beneficiary",
        "member": {
            "member_identifier": [_identifier("PKSAI_PERSON", str(beneficiary.person_id))],
            "demographic_info": person_record(beneficiary.person),
        },
        "programme": {
            "programme_identifier": beneficiary.program.code,
            "programme_name": beneficiary.program.name_id,
        },
        "enrolment_date": beneficiary.start_date.isoformat(),
        "enrolment_status": beneficiary.status,
        "status_change_date": beneficiary.exit_date.isoformat() if beneficiary.exit_date else "",
        "region_code": beneficiary.area_id,
    }
