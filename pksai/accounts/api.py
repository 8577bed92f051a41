from ninja import Router, Schema
from ninja.pagination import paginate

from pksai.accounts import selectors
from pksai.core.paging import ApiPages

router = Router()


class RoleOut(Schema):
    slug: str
    label: str


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[RoleOut]
    national: bool
    scope: list[str]
    organisation: str | None
    timezone: str | None


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    area_code: str
    area_name: str
    address: str
    phone: str
    email: str
    is_active: bool

    @staticmethod
    def resolve_area_code(obj) -> str:
        return obj.area_id

    @staticmethod
    def resolve_area_name(obj) -> str:
        return obj.area.name


@router.get("/me/", response=MeOut, summary="The authenticated user, roles and scope")
def me(request):
    profile = selectors.user_profile(user=request.auth)
    return {
        **profile,
        "scope": [a.code for a in profile["scope"]],
        "organisation": str(profile["organisation"]) if profile["organisation"] else None,
    }


@router.get("/organisations/", response=list[OrganisationOut], summary="Organisations in scope")
@paginate(ApiPages)
def list_organisations(request, q: str = "", kind: str = ""):
    return selectors.organisation_list(user=request.auth, q=q, kind=kind)


@router.get(
    "/organisations/{pk}/",
    response=OrganisationOut,
    summary="One organisation (404 if out of scope)",
)
def get_organisation(request, pk: int):
    return selectors.organisation_get(user=request.auth, pk=pk)
