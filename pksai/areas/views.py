from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from pksai.areas.selectors import area_get, area_lineage, area_list


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
