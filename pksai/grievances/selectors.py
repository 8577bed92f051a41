"""Scoped reads of complaints. A complaint is visible to staff holding the complaint role whose
area scope covers its area; a restricted complaint (misconduct, deductions by intermediaries)
only to complaint officers holding ``view_restricted_complaint`` — to everyone else it does
not exist (404), in lists, pages and the API."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from pksai.accounts.scoping import get_scoped_or_404, scope_for, scoped
from pksai.grievances.models import OPEN_STATUSES, Complaint, Level
from pksai.grievances.services import VIEW, VIEW_RESTRICTED


def _restricted_q(user) -> Q:
    return Q() if user.has_perm(VIEW_RESTRICTED) else Q(restricted=False)


def complaint_list(*, user) -> QuerySet[Complaint]:
    """Every complaint the user may see."""
    return (
        scoped(Complaint.objects.all(), user, perm=VIEW, area_field="area")
        .filter(_restricted_q(user))
        .select_related("area", "assigned_to")
    )


def complaint_get(*, user, pk: int) -> Complaint:
    """One complaint the user may open, else Http404; a restricted one the user may not see
    is refused (and audited) like one out of area."""
    return get_scoped_or_404(
        Complaint.objects.select_related("area", "assigned_to", "resolved_by", "intake_report"),
        user,
        perm=VIEW,
        area_field="area",
        visible=_restricted_q(user),
        pk=pk,
    )


def user_level(user) -> int:
    """The level a user works at: the ministry (national scope), a province (scope of
    province codes only), otherwise a district."""
    scope = scope_for(user)
    if scope.national:
        return Level.MINISTRY
    if scope.area_codes and all("." not in code for code in scope.area_codes):
        return Level.PROVINCE
    return Level.DISTRICT


QUEUES = ("level", "mine", "overdue", "escalated", "restricted", "resolved", "all")


def complaint_queue(*, user, queue: str = "level") -> QuerySet[Complaint]:
    """A working list: open complaints at the user's level, assigned to them, overdue,
    escalated, the restricted queue, resolved, or all they may see."""
    qs = complaint_list(user=user)
    open_q = Q(status__in=OPEN_STATUSES)
    if queue == "level":
        qs = qs.filter(open_q, level=user_level(user))
    elif queue == "mine":
        qs = qs.filter(open_q, assigned_to=user)
    elif queue == "overdue":
        qs = qs.filter(open_q, due_at__lt=timezone.now())
    elif queue == "escalated":
        qs = qs.filter(level__gt=Level.DISTRICT)
    elif queue == "restricted":
        qs = qs.filter(restricted=True)
    elif queue == "resolved":
        qs = qs.exclude(open_q)
    return qs.order_by("due_at", "id") if queue != "resolved" else qs.order_by("-resolved_at")
