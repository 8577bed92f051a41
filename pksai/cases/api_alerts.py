"""The caller's own alerts over JSON (``/api/v1/alerts/``): each with its stored code and
params and the message rendered in the request's language and the caller's time zone, the
link to what it points at, and whether it was read or is done. Only the caller's alerts are
ever listed or marked read."""

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from pksai.cases.alerts import alerts_mark_read
from pksai.cases.messages import alert_message
from pksai.cases.models import Alert
from pksai.core.paging import ApiPages

router = Router()


class AlertOut(Schema):
    id: int
    code: str = Field(description="What the alert is about (cases/messages.py); '' for old rows")
    params: dict = Field(description="The code's parameters (ISO times, codes, numbers, names)")
    message: str = Field(description="The alert in the request's language and time zone")
    url: str = Field(description="The page it points at (the case or the referral)")
    case_id: int | None
    created_at: datetime
    read_at: datetime | None
    resolved_at: datetime | None = Field(description="When what it asked for was done")

    @staticmethod
    def resolve_message(obj: Alert, context) -> str:
        # a token request has no user when the middleware picks the zone: use the caller's
        zone = context["request"].auth.zone_name or settings.TIME_ZONE
        with timezone.override(zone):
            return alert_message(obj)


class AlertFilters(Schema):
    show: Literal["unread", "all"] = "unread"


class ReadIn(Schema):
    ids: list[int] = Field(default_factory=list, description="Alerts to mark read")
    all: bool = Field(False, description="Mark every unread alert read")


class ReadOut(Schema):
    marked: int


@router.get("/", response=list[AlertOut], summary="My alerts (unread by default)")
@paginate(ApiPages)
def list_alerts(request, filters: Query[AlertFilters]):
    mine = Alert.objects.filter(user=request.auth)
    return (mine if filters.show == "all" else mine.unread()).select_related("case")


@router.post("/read/", response=ReadOut, summary="Mark my alerts read (some, or all)")
def mark_read(request, body: ReadIn):
    ids = None if body.all else body.ids
    return {"marked": alerts_mark_read(user=request.auth, ids=ids)}
