from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from pksai.api.urls import urls as api_urls
from pksai.core import health

admin.site.site_header = "PKSAI"
admin.site.site_title = "PKSAI"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("pksai.core.urls")),
    path("", include("pksai.accounts.urls")),
    path("", include("pksai.areas.urls")),
    path("", include("pksai.audit.urls")),
    path("", include("pksai.registry.urls")),
    path("", include("pksai.vulnerability.urls")),
    path("cases/", include("pksai.cases.urls")),
    path("cases/", include("pksai.cases.urls_records")),
    path("providers/", include("pksai.referrals.urls_directory")),
    path("referrals/reports/", include("pksai.referrals.urls_reports")),
    path("", include("pksai.referrals.urls")),
    path("", include("pksai.privacy.urls")),
    path("facilitation/", include("pksai.programs.urls_facilitation")),
    path("programs/", include("pksai.programs.urls")),
    path("payments/", include("pksai.payments.urls")),
    path("complaints/reports/", include("pksai.grievances.urls_reports")),
    path("complaints/", include("pksai.grievances.urls")),
    path("pengaduan/", include("pksai.grievances.urls_public")),
    path("monitoring/", include("pksai.monitoring.urls")),
    path("retention/", include("pksai.retention.urls")),
    path("webhooks/", include("pksai.webhooks.urls")),
    path("", include("pksai.primero.urls")),
    path("field/", include("pksai.field.urls")),
    path("lapangan/", include("pksai.field.urls_app")),
    path("messaging/", include("pksai.messaging.urls")),
    path("", include("pksai.dci.urls")),  # before api/v1/: /api/v1/dci/registry/…
    path("", include("pksai.ops.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls),
]

handler403 = "pksai.core.views.error_403"
handler400 = "pksai.core.views.error_400"
handler404 = "pksai.core.views.error_404"
handler500 = "pksai.core.views.error_500"
