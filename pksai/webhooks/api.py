"""Webhooks over JSON (mounted at /api/v1/webhooks/), for administrators: subscribers (list,
add — the secret in the answer, once), each one's delivery log, and replay. Without the
permission a 403; an unknown id a 404."""

from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.codes import normalise_area_code
from pksai.areas.models import Area
from pksai.core.paging import ApiPages
from pksai.webhooks import selectors, services
from pksai.webhooks.models import Delivery, Kind, Subscriber

router = Router()

KindCode = Literal[tuple(Kind.values)]
StatusCode = Literal[tuple(Delivery.Status.values)]


class WebhookSubscriberOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    area_code: str | None = Field(description="Events of this area and below; null: all.")
    active: bool
    personal_data: bool = Field(description="Approved for names and NIKs.")
    personal_purpose: str
    waiting: int = Field(0, description="Deliveries waiting to be sent or retried.")
    failed: int = Field(0, description="Deliveries given up.")


class WebhookSubscriberCreated(WebhookSubscriberOut):
    secret: str = Field(description="The signing secret: shown in this answer only.")


class WebhookSubscriberIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=500, description="https:// only.")
    events: list[KindCode] = Field(min_length=1)
    area: str = Field("", max_length=20, description="An area code; empty for every area.")
    active: bool = True


class WebhookDeliveryOut(Schema):
    id: int
    delivery_id: str = Field(description="Sent as X-PKSAI-Delivery on every attempt and replay.")
    event: str
    occurred_at: datetime
    status: str
    attempts: int
    replays: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    delivered_at: datetime | None


def _subscriber_out(s: Subscriber) -> dict:
    return {
        "id": s.pk,
        "name": s.name,
        "url": s.url,
        "events": s.events,
        "area_code": s.area_id,
        "active": s.active,
        "personal_data": s.personal_data,
        "personal_purpose": s.personal_purpose,
        "waiting": getattr(s, "waiting", 0),
        "failed": getattr(s, "failed", 0),
    }


def _delivery_out(d: Delivery) -> WebhookDeliveryOut:
    return WebhookDeliveryOut(
        id=d.pk,
        delivery_id=str(d.uid),
        event=d.event.kind,
        occurred_at=d.event.occurred_at,
        status=d.status,
        attempts=d.attempts,
        replays=d.replays,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        next_attempt_at=d.next_attempt_at,
        delivered_at=d.delivered_at,
    )


class SubscriberPages(ApiPages):
    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page["items"] = [_subscriber_out(s) for s in page["items"]]
        return page


class DeliveryPages(ApiPages):
    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page["items"] = [_delivery_out(d) for d in page["items"]]
        return page


@router.get("/subscribers", response=list[WebhookSubscriberOut], summary="Webhook subscribers")
@paginate(SubscriberPages)
def list_subscribers(request):
    return selectors.subscribers(user=request.auth).order_by("name", "id")


@router.post(
    "/subscribers", response={201: WebhookSubscriberCreated}, summary="Add a webhook subscriber"
)
def add_subscriber(request, payload: WebhookSubscriberIn):
    user = request.auth
    require_perm(user, services.ADD)
    area = None
    if payload.area:
        code = normalise_area_code(payload.area) or payload.area
        area = Area.objects.filter(code=code).first()
        if area is None or not scope_for(user).covers(code):
            raise ValidationError({"area": [_("No such area in your scope.")]})
    subscriber, secret = services.subscriber_create(
        by=user,
        name=payload.name,
        url=payload.url,
        events=list(payload.events),
        area=area,
        active=payload.active,
    )
    return Status(201, {**_subscriber_out(subscriber), "secret": secret})


@router.get(
    "/subscribers/{int:pk}/deliveries",
    response=list[WebhookDeliveryOut],
    summary="A subscriber's delivery log",
)
@paginate(DeliveryPages)
def list_deliveries(request, pk: int, status: StatusCode | None = None):
    subscriber = selectors.subscriber_get(user=request.auth, pk=pk)
    return selectors.deliveries(subscriber=subscriber, status=status or "")


@router.post(
    "/deliveries/{int:pk}/replay",
    response=WebhookDeliveryOut,
    summary="Send a delivery again (same delivery id)",
)
def replay_delivery(request, pk: int):
    delivery = selectors.delivery_get(user=request.auth, pk=pk)
    delivery = services.delivery_replay(by=request.auth, delivery=delivery)
    return _delivery_out(delivery)
