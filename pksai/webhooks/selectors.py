"""Reads for the webhook pages: subscribers (administrators' configuration, not records of an
area) and each one's delivery log."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from pksai.accounts.scoping import get_visible_or_404, require_perm
from pksai.webhooks.models import Delivery, Subscriber

VIEW = "webhooks.view_subscriber"


def subscribers(*, user) -> QuerySet[Subscriber]:
    require_perm(user, VIEW)
    return Subscriber.objects.select_related("area", "personal_approved_by").annotate(
        waiting=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
    )


def subscriber_get(*, user, pk: int) -> Subscriber:
    return get_visible_or_404(lambda: subscribers(user=user), base=Subscriber.objects.all(), pk=pk)


def deliveries(*, subscriber: Subscriber, status: str = "") -> QuerySet[Delivery]:
    rows = subscriber.deliveries.select_related("event").order_by("-created_at", "-id")
    return rows.filter(status=status) if status in Delivery.Status.values else rows


def delivery_get(*, user, pk: int) -> Delivery:
    def visible():
        require_perm(user, VIEW)
        return Delivery.objects.select_related("subscriber", "event")

    return get_visible_or_404(visible, base=Delivery.objects.all(), pk=pk)
