from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from pksai.audit.filters import AuditEventFilter
from pksai.audit.selectors import audit_event_list
from pksai.audit.services import audit_record


@login_required
def audit_log(request):
    events = AuditEventFilter(request.GET, queryset=audit_event_list(user=request.user))
    page = Paginator(events.qs, 50).get_page(request.GET.get("page"))
    filters = {k: v for k, v in request.GET.items() if v and k != "page"}
    # Reading the trail (usernames, IP addresses) is itself recorded.
    audit_record(action="view", object_type="audit.auditevent", detail={"filters": filters})
    context = {"filter": events, "page": page, "querystring": request.GET.urlencode()}
    template = "audit/_event_rows.html" if request.htmx else "audit/log.html"
    return render(request, template, context)
