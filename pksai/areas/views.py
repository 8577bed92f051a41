from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from pksai.accounts.scoping import scope_for
from pksai.areas.forms import PUBLIC_LEVELS
from pksai.areas.selectors import area_get, area_lineage, area_list, area_search, parse_level

MIN_CHARS = 3  # letters of a name before suggesting (two match thousands of villages)
MIN_DIGITS = 2  # digits of a code (a province)
MAX_QUERY = 100


@login_required
def area_browse(request, code: str | None = None):
    """Provinces at the top; each area lists its children. A search box finds any area."""
    area = None
    lineage = []
    if code:
        area = area_get(code)
        if area is None:
            raise Http404
        lineage = area_lineage(area)
    q = request.GET.get("q", "").strip()
    if q:
        areas = area_list(q=q)
    else:
        areas = area_list(parent=area.code) if area else area_list(level=1)
    page = Paginator(areas, 100).get_page(request.GET.get("page"))
    context = {"area": area, "lineage": lineage, "page": page, "q": q}
    template = "areas/_area_rows.html" if request.htmx else "areas/browse.html"
    return render(request, template, context)


@login_required
@require_GET
def area_suggest(request):
    """The area picker's suggestions for staff: places in the user's scope only."""
    scope = scope_for(request.user)
    return _suggestions(request, within=None if scope.national else scope.area_codes)


@require_GET
def area_suggest_public(request):
    """The area picker's suggestions on public pages (no account): provinces, regencies and
    districts of the whole country — the names the public complaint form asks for."""
    return _suggestions(request, within=None, allowed=PUBLIC_LEVELS)


def _suggestions(request, *, within, allowed=None) -> JsonResponse:
    """``?q=`` (part of a name, or a code) and ``level=`` (repeated; 1–4 or province …
    village) → ``{"count", "results": [{code, name, context, label, level, level_label}],
    "message"}``; the message is what a screen reader announces."""
    q = request.GET.get("q", "")[:MAX_QUERY].strip()
    levels = {parse_level(raw) for raw in request.GET.getlist("level")} - {None}
    if allowed is not None:
        levels = (levels & set(allowed)) if levels else set(allowed)
        if not levels:
            return _json([], 0, "")
    is_code = q.replace(".", "").isdigit()
    if len(q) < (MIN_DIGITS if is_code else MIN_CHARS):
        return _json([], 0, "")
    places, total = area_search(q=q, within=within, levels=sorted(levels))
    if not total:
        message = _("No place found. Check the spelling, or type the code.")
    elif total > len(places):
        message = _(
            "%(n)s places found; the first %(shown)s are listed. Type more of the name."
        ) % {"n": total, "shown": len(places)}
    else:
        message = ngettext("%(n)s place found.", "%(n)s places found.", total) % {"n": total}
    return _json([p.as_json() for p in places], total, message)


def _json(results: list, count: int, message: str) -> JsonResponse:
    response = JsonResponse({"count": count, "results": results, "message": message})
    response["Cache-Control"] = "private, max-age=60"
    return response
