"""Administrators' pages for outbound webhooks: subscribers (list, new, edit, secret, personal
data approval) and each one's delivery log with replay. Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pksai.accounts.scoping import require_perm
from pksai.areas.models import Area
from pksai.cases.services import ConflictError
from pksai.webhooks import selectors, services
from pksai.webhooks.forms import ApproveForm, SubscriberForm
from pksai.webhooks.models import Delivery


def _refusal(form, refused: ValidationError) -> None:
    if hasattr(refused, "error_dict"):
        for field, errs in refused.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, refused.messages)


def _values(form) -> dict:
    data = form.cleaned_data
    code = data["area"]
    return {
        "name": data["name"],
        "url": data["url"],
        "events": data["events"],
        "area": Area.objects.get(code=code) if code else None,
        "active": data["active"],
    }


@login_required
def subscriber_list(request):
    rows = list(selectors.subscribers(user=request.user))
    return render(
        request,
        "webhooks/list.html",
        {"subscribers": rows, "may_add": request.user.has_perm(services.ADD)},
    )


def _secret_page(request, subscriber, secret: str, *, status: int = 200):
    """The secret, shown this once (sealed in the database, never shown again)."""
    return render(
        request, "webhooks/secret.html", {"subscriber": subscriber, "secret": secret}, status=status
    )


@login_required
def subscriber_new(request):
    require_perm(request.user, services.ADD)
    form = SubscriberForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            subscriber, secret = services.subscriber_create(by=request.user, **_values(form))
        except ValidationError as refused:
            _refusal(form, refused)
        else:
            return _secret_page(request, subscriber, secret, status=201)
    status = 400 if form.is_bound else 200
    return render(request, "webhooks/form.html", {"form": form}, status=status)


def _detail(request, subscriber, *, form=None, approve_form=None, status: int = 200, error=""):
    shown = request.GET.get("status", "")
    pages = Paginator(selectors.deliveries(subscriber=subscriber, status=shown), 50)
    page = pages.get_page(request.GET.get("page"))
    may_change = request.user.has_perm(services.MANAGE)
    form = form or SubscriberForm(
        initial={
            "name": subscriber.name,
            "url": subscriber.url,
            "events": subscriber.events,
            "area": subscriber.area_id or "",
            "active": subscriber.active,
            "version": subscriber.version,
        },
        user=request.user,
    )
    return render(
        request,
        "webhooks/detail.html",
        {
            "subscriber": subscriber,
            "form": form if may_change else None,
            "approve_form": (approve_form or ApproveForm())
            if request.user.has_perm(services.APPROVE)
            else None,
            "page": page,
            "shown": shown,
            "statuses": Delivery.Status.choices,
            "may_change": may_change,
            "error": error,
        },
        status=status,
    )


@login_required
def subscriber_detail(request, pk: int):
    subscriber = selectors.subscriber_get(user=request.user, pk=pk)
    if request.method != "POST":
        return _detail(request, subscriber)
    require_perm(request.user, services.MANAGE)
    form = SubscriberForm(request.POST, user=request.user)
    if not form.is_valid():
        return _detail(request, subscriber, form=form, status=400)
    try:
        services.subscriber_update(
            by=request.user,
            subscriber=subscriber,
            expected_version=form.cleaned_data["version"] or 0,
            **_values(form),
        )
    except ConflictError as conflict:
        current = selectors.subscriber_get(user=request.user, pk=pk)
        form.data = form.data.copy()
        form.data["version"] = current.version
        return _detail(request, current, form=form, status=409, error=" ".join(conflict.messages))
    except ValidationError as refused:
        _refusal(form, refused)
        return _detail(request, subscriber, form=form, status=400)
    messages.success(request, _("Subscriber saved. New events are sent with these settings."))
    return redirect("webhooks:detail", pk=pk)


@login_required
@require_POST
def subscriber_rotate(request, pk: int):
    subscriber = selectors.subscriber_get(user=request.user, pk=pk)
    secret = services.subscriber_rotate_secret(by=request.user, subscriber=subscriber)
    return _secret_page(request, subscriber, secret)


@login_required
@require_POST
def subscriber_approve(request, pk: int):
    subscriber = selectors.subscriber_get(user=request.user, pk=pk)
    require_perm(request.user, services.APPROVE)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _detail(request, subscriber, approve_form=form, status=400)
    services.subscriber_approve_personal(
        by=request.user, subscriber=subscriber, purpose=form.cleaned_data["purpose"]
    )
    messages.success(
        request, _("Personal data approved: names and NIKs go with this subscriber's events.")
    )
    return redirect("webhooks:detail", pk=pk)


@login_required
@require_POST
def subscriber_revoke(request, pk: int):
    subscriber = selectors.subscriber_get(user=request.user, pk=pk)
    services.subscriber_revoke_personal(by=request.user, subscriber=subscriber)
    messages.success(request, _("Personal data withdrawn: events carry ids and codes only."))
    return redirect("webhooks:detail", pk=pk)


@login_required
@require_POST
def delivery_replay(request, pk: int):
    delivery = selectors.delivery_get(user=request.user, pk=pk)
    services.delivery_replay(by=request.user, delivery=delivery)
    messages.success(
        request,
        _("Delivery %(id)s will be sent again with the same id.") % {"id": delivery.uid},
    )
    return redirect("webhooks:detail", pk=delivery.subscriber_id)
