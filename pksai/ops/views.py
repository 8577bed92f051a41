from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pksai.core.client import client_address
from pksai.ops import metrics as metrics_module


@never_cache
@require_GET
def metrics(request):
    """Prometheus metrics, for the addresses or the bearer token the settings allow."""
    authorization = request.headers.get("Authorization", "")
    if not metrics_module.may_read(ip=client_address(request), authorization=authorization):
        return HttpResponse(
            _("Metrics are not available from here."), status=403, content_type="text/plain"
        )
    body, content_type = metrics_module.render()
    return HttpResponse(body, content_type=content_type)
