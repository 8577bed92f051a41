from pksai.areas.models import Area
from pksai.core.paging import CappedPaginator


def test_counts_up_to_the_cap_and_says_when_there_are_more(pilot_areas):
    areas = Area.objects.order_by("code")
    total = areas.count()
    assert total > 3
    exact = CappedPaginator(areas, 2, cap=total)
    assert (exact.count, exact.capped, exact.num_pages) == (total, False, (total + 1) // 2)
    capped = CappedPaginator(areas, 2, cap=3)
    assert capped.capped and capped.count == 4 and capped.num_pages == 2
    assert [a.code for a in capped.page(1)] == list(areas.values_list("code", flat=True)[:2])
