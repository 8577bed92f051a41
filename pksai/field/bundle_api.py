"""/api/v1/field/: what the field app takes offline (read only; decision 0032). The answer
is never cached by the browser (NoStoreMiddleware) nor by the app's service worker: the app
keeps it only in its encrypted store."""

from typing import Literal

from django.http import JsonResponse
from ninja import Field, Query, Router, Schema

from pksai.field import offline as services

router = Router()


class BundleQuery(Schema):
    what: Literal["cases", "beneficiaries", "outreach"]
    village: str = Field("", max_length=20, description="The village code, for outreach.")
    device: str = Field("", max_length=60, description="The device's label, for the audit.")


class BundleOut(Schema):
    kind: str
    village: str = Field(description="The village code of an outreach list, else ''.")
    village_name: str = Field(description="The village's name, for an outreach list.")
    taken_at: str
    user: int
    wipe_days: int = Field(description="Days without a sync after which the app wipes itself.")
    items: list[dict] = Field(
        description="Compact records: codes for stage, risk, sex and concerns; restricted "
        "children masked and phones left out as on the pages."
    )


@router.get("/bundle", response=BundleOut, summary="Data a field worker takes offline")
def bundle(request, query: Query[BundleQuery]):
    """The caller's open cases, the beneficiaries she facilitates, or one village's outreach
    list (404 out of her scope). Recorded in the audit trail as an export to the device."""
    taken = services.bundle_take(
        user=request.auth, what=query.what, village=query.village, device=query.device
    )
    # compact (no spaces, UTF-8 as itself): the phone keeps it, on a slow connection
    return JsonResponse(
        taken.as_json(user=request.auth),
        json_dumps_params={"separators": (",", ":"), "ensure_ascii": False},
    )
