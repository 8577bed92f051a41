from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pksai.accounts.selectors import user_profile
from pksai.audit.services import audit_record
from pksai.core.paging import CappedPaginator

SHORT = 5  # items per short list on the home page; the tile links to the whole queue
QUEUE_PAGE = 25


@dataclass(frozen=True)
class Tile:
    """A count on the home page that links to its list."""

    key: str
    label: str
    count: int
    url: str
    tone: str = ""  # "urgent" (red) or "waiting" (amber) when the count is not zero

    @property
    def shown(self) -> str:
        from pksai.cases.selectors import COUNT_CAP

        return f"{COUNT_CAP}+" if self.count > COUNT_CAP else str(self.count)


@dataclass(frozen=True)
class Queue:
    """One of the user's queues: its title, what it is for (the empty state), who may see
    it, and the selector that reads it (cases.selectors.<source>, or the referrals that came
    back): a WorkQueue of QueueItems ("work") or a queryset ("cases", "referrals")."""

    title: Promise
    empty: Promise
    perm: str
    kind: str
    source: str

    def read(self, user):
        if self.kind == "referrals":
            from pksai.referrals import selectors as referrals

            return referrals.to_handle(user=user)
        from pksai.cases import selectors as cases

        return getattr(cases, self.source)(user=user)


QUEUES: dict[str, Queue] = {
    "overdue": Queue(
        gettext_lazy("Overdue"),
        gettext_lazy("Nothing overdue. Well done."),
        "cases.view_case",
        "work",
        "my_overdue",
    ),
    "week": Queue(
        gettext_lazy("Due in the next 7 days"),
        gettext_lazy("Nothing falls due in the next 7 days."),
        "cases.view_case",
        "work",
        "my_due_this_week",
    ),
    "later": Queue(
        gettext_lazy("Later"),
        gettext_lazy("Nothing else is waiting."),
        "cases.view_case",
        "work",
        "my_later",
    ),
    "mine": Queue(
        gettext_lazy("All my open work"),
        gettext_lazy("You have no open cases or follow-ups."),
        "cases.view_case",
        "work",
        "my_work",
    ),
    "approvals": Queue(
        gettext_lazy("Awaiting my approval"),
        gettext_lazy(
            "No plan or closure is waiting for you. When a social worker submits one, it "
            "appears here until you approve it or send it back."
        ),
        "cases.approve_case",
        "cases",
        "awaiting_approval",
    ),
    "unassigned": Queue(
        gettext_lazy("Cases without a supervisor"),
        gettext_lazy(
            "Every open case in your area has a supervisor. Cases registered without one "
            "appear here until you choose one."
        ),
        "cases.approve_case",
        "cases",
        "unassigned",
    ),
    "referrals": Queue(
        gettext_lazy("Referrals that came back"),
        gettext_lazy("No referral came back. Declined or delivered referrals appear here."),
        "referrals.view_referral",
        "referrals",
        "to_handle",
    ),
}


def _short(queue, n: int = SHORT) -> list:
    return list(queue[:n])


def _count(queue) -> int:
    """The queue's size, counted up to COUNT_CAP + 1."""
    from pksai.cases.selectors import WorkQueue, capped_count

    return queue.count() if isinstance(queue, WorkQueue) else capped_count(queue)


class _WorkPaginator(Paginator):
    """Pages of a WorkQueue (whose count stops at COUNT_CAP + 1), for _pagination.html."""

    @property
    def cap(self) -> int:
        from pksai.cases.selectors import COUNT_CAP

        return COUNT_CAP

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def _case_items(cases, user) -> list:
    """Cases of a queue with what the page shows: the child's name (masked where the user may
    not open the case) and whether the stage is past due."""
    from pksai.cases.selectors import display_name

    now = timezone.now()
    for case in cases:
        case.shown_name = display_name(case, user)
        case.is_overdue = case.stage_due_at is not None and case.stage_due_at < now
    return cases


@login_required
def home(request):
    """Who I am and what waits for me, most urgent first. Tiles count each queue (capped at
    999+) and link to it; short lists show the first few items of each:

    - supervisors and coordinators: plans and closures awaiting my approval (from the cases'
      stages: an item leaves when decided), and for coordinators open cases without a
      supervisor; the team's overdue counts and overdue referrals;
    - everyone with cases: my overdue work, what falls due in the next 7 days, what comes
      later; referrals that came back (declined or delivered); unread alerts.

    Every query is bounded (LIMIT, counts capped, indexed order), whatever the caseload.
    A focal person goes to their inbox."""
    user = request.user
    if user.has_perm("referrals.respond_referral") and not user.has_perm("cases.view_case"):
        return redirect("referrals:portal")  # a provider's focal person: their inbox only
    context = {"profile": user_profile(user=request.user), "now": timezone.now()}
    tiles: list[Tile] = []

    def tile(key: str, label: str, queue, tone: str = "", count: int | None = None) -> Tile:
        count = _count(queue) if count is None else count
        made = Tile(key, label, count, reverse("core:queue", args=[key]), tone)
        tiles.append(made)
        return made

    if user.has_perm("cases.approve_case"):
        from pksai.cases import selectors as cases

        approvals = cases.awaiting_approval(user=user)
        context["approvals"] = _case_items(_short(approvals), user)
        context["approvals_tile"] = tile(
            "approvals", _("Awaiting my approval"), approvals, "waiting"
        )
        if cases.is_coordinator(user):
            unassigned = cases.unassigned(user=user)
            context["unassigned"] = _case_items(_short(unassigned), user)
            context["unassigned_tile"] = tile(
                "unassigned", _("Without a supervisor"), unassigned, "waiting"
            )
    if user.has_perm("cases.view_case"):
        from pksai.cases import selectors as cases

        overdue, week, later = (
            cases.my_overdue(user=user),
            cases.my_due_this_week(user=user),
            cases.my_later(user=user),
        )
        context["overdue"] = _short(overdue)
        context["week"] = _short(week)
        context["later"] = _short(later)
        counts = cases.my_work_counts(user=user)  # two queries for the four counts
        if context["overdue"] or context["week"] or context["later"] or not tiles:
            # approvers see their own work's tiles only when they have some
            context["overdue_tile"] = tile(
                "overdue", _("Overdue"), overdue, "urgent", count=counts["overdue"]
            )
            context["week_tile"] = tile("week", _("Due in 7 days"), week, count=counts["week"])
            tile("mine", _("My open work"), None, count=counts["mine"])
        context["later_count"] = counts["later"]
        context["queue"] = context["overdue"] + context["week"] + context["later"]
        # approvers who own no case are not shown an empty "My work"
        context["show_work"] = bool(context["queue"]) or not user.has_perm("cases.approve_case")
        unread = user.alerts.unread()
        alerts = list(unread.select_related("case")[: SHORT + 1])
        context["alerts"], context["alerts_more"] = alerts[:SHORT], len(alerts) > SHORT
        if user.has_perm("cases.approve_case"):
            context["team"] = cases.team_overdue(user=user)
        context["facilitates"] = user.facilitated.filter(status="active").exists()
    if user.has_perm("cases.add_case"):
        from pksai.cases import selectors as cases

        reports = cases.intake_reports(user=user)
        waiting = _count(reports)
        if waiting or not user.has_perm("cases.change_case"):  # registration staff: always
            tiles.append(
                Tile(
                    "intake",
                    _("Reports to register"),
                    waiting,
                    reverse("cases:intake_reports"),
                    "waiting",
                )
            )
    if user.has_perm("referrals.view_referral"):
        from pksai.referrals import selectors as referrals

        back = referrals.to_handle(user=user)
        context["referrals_back"] = list(back[:SHORT])
        if context["referrals_back"] or not user.has_perm("cases.approve_case"):
            context["referrals_tile"] = tile("referrals", _("Referrals came back"), back, "waiting")
        if user.has_perm("cases.approve_case"):
            context["referrals_overdue"] = list(referrals.overdue_for_supervisor(user=user)[:50])
    if user.has_perm("programs.view_beneficiary"):
        from pksai.programs.facilitation import caseloads

        context["caseloads_over"] = caseloads(user=user, over_only=True)
    if user.has_perm("grievances.view_complaint"):
        from pksai.grievances import selectors as complaints

        context["complaints"] = {
            queue: complaints.complaint_queue(user=user, queue=queue).count()
            for queue in ("level", "mine", "overdue")
        }
    context["tiles"] = tiles
    _audit_home(user, context)
    return render(request, "core/home.html", context)


def _audit_home(user, context: dict) -> None:
    """The home page's short lists name children: one view row lists the cases shown."""
    shown: list[int] = []
    for key in ("approvals", "unassigned", "overdue", "week", "later"):
        for item in context.get(key) or ():
            case = getattr(item, "case", item)
            shown.append(case.pk)
    if shown:
        audit_record(
            action="view",
            actor=user,
            object_type="cases.case",
            detail={"list": list(dict.fromkeys(shown)), "queue": "home"},
        )


@login_required
def queue_view(request, key: str):
    """One whole queue of the home page, a page at a time (at most 999 items are counted)."""
    queue = QUEUES.get(key)
    if queue is None:
        raise Http404("No such queue.")
    if not request.user.has_perm(queue.perm):
        raise PermissionDenied(f"missing permission {queue.perm}")
    from pksai.cases.selectors import COUNT_CAP

    rows = queue.read(request.user)
    paginator = (
        _WorkPaginator(rows, QUEUE_PAGE)
        if queue.kind == "work"
        else CappedPaginator(rows, QUEUE_PAGE, cap=COUNT_CAP)
    )
    page = paginator.get_page(request.GET.get("page"))
    items = list(page.object_list)
    if queue.kind == "cases":
        _case_items(items, request.user)
    if items:
        if queue.kind == "referrals":
            listed = {"object_type": "referrals.referral", "detail": [r.pk for r in items]}
        else:
            ids = [i.pk if queue.kind == "cases" else i.case.pk for i in items]
            listed = {"object_type": "cases.case", "detail": ids}
        audit_record(
            action="view",
            actor=request.user,
            object_type=listed["object_type"],
            detail={"list": listed["detail"], "queue": key},
        )
    return render(
        request,
        "core/queue.html",
        {"queue": queue, "page": page, "items": items, "unassigned": key == "unassigned"},
    )


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def error_400(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": _("The request could not be read.")}, status=400)
    return render(request, "errors/400.html", status=400)


def error_404(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "errors/404.html", status=404)


def error_403(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {"detail": _("You do not have permission for this action.")}, status=403
        )
    return render(request, "errors/403.html", status=403)


def error_500(request):
    if _wants_json(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return render(request, "errors/500.html", {"message": _("Server error.")}, status=500)
