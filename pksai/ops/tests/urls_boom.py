"""The site's URLs plus a view that fails and one that logs, for the metrics and log tests."""

import logging

from django.http import HttpResponse
from django.urls import path

from pksai.urls import urlpatterns as site_urlpatterns

logger = logging.getLogger("pksai.ops.tests")


def boom(request):
    raise RuntimeError("boom")


def noisy(request):
    logger.warning("noisy view ran", extra={"rows": 3})
    return HttpResponse("ok")


urlpatterns = [
    path("boom/", boom, name="boom"),
    path("noisy/", noisy, name="noisy"),
    *site_urlpatterns,
]
