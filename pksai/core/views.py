from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.selectors import user_profile


@login_required
def home(request):
    """Who I am and where I work; for case workers, my work by due date (overdue first),
    referrals that came back (declined or delivered), unread alerts, and for supervisors the
    team's overdue counts and overdue referrals. A focal person goes to their inbox."""
    user = request.user
    if user.has_perm("referrals.respond_referral") and not user.has_perm("cases.view_case"):
        return redirect("referrals:portal")  # a provider's focal person: their inbox only
    context = {"profile": user_profile(user=request.user), "now": timezone.now()}
    if user.has_perm("cases.view_case"):
        from pksai.cases import selectors as cases

        context["queue"] = cases.work_queue(user=user)
        context["alerts"] = list(user.alerts.unread().select_related("case")[:20])
        if user.has_perm("cases.approve_case"):
            context["team"] = cases.team_overdue(user=user)
        context["facilitates"] = user.facilitated.filter(status="active").exists()
    if user.has_perm("referrals.view_referral"):
        from pksai.referrals import selectors as referrals

        context["referrals_back"] = list(referrals.to_handle(user=user)[:50])
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
    return render(request, "core/home.html", context)


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def error_404(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "errors/404.html", status=404)


def error_403(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": "You do not have permission for this action."}, status=403)
    return render(request, "errors/403.html", status=403)


def error_500(request):
    if _wants_json(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return render(request, "errors/500.html", {"message": _("Server error.")}, status=500)
