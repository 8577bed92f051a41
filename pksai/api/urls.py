"""Mounts every app's router on the one API. Included at /api/v1/ by pksai/urls.py."""

from pksai.accounts.api import router as accounts_router
from pksai.api.base import api, declare_errors
from pksai.areas.api import router as areas_router
from pksai.cases.api import router as cases_router
from pksai.cases.api_alerts import router as alerts_router
from pksai.field.api import router as field_router
from pksai.field.bundle_api import router as field_bundle_router
from pksai.grievances.api import public_router as public_complaints_router
from pksai.grievances.api import router as complaints_router
from pksai.monitoring.api import router as monitoring_router
from pksai.monitoring.api_finance import router as finance_router
from pksai.payments.api import router as payments_router
from pksai.payments.api_reports import router as payment_reports_router
from pksai.privacy.api import router as privacy_router
from pksai.programs.api import router as programs_router
from pksai.referrals.api import router as referrals_router
from pksai.registry.api import router as registry_router
from pksai.retention.api import router as retention_router
from pksai.vulnerability.api import router as vulnerability_router
from pksai.webhooks.api import router as webhooks_router

api.add_router("/areas/", areas_router, tags=["areas"])
api.add_router("/", accounts_router, tags=["accounts"])
api.add_router("/registry/", registry_router, tags=["registry"])
api.add_router("/vulnerability/", vulnerability_router, tags=["vulnerability"])
api.add_router("/cases/", cases_router, tags=["cases"])
api.add_router("/alerts/", alerts_router, tags=["alerts"])
api.add_router("/referrals/", referrals_router, tags=["referrals"])
api.add_router("/programs/", programs_router, tags=["programs"])
api.add_router("/payments/reports/", payment_reports_router, tags=["payments"])
api.add_router("/payments/", payments_router, tags=["payments"])
api.add_router("/complaints/", complaints_router, tags=["complaints"])
api.add_router("/public/complaints/", public_complaints_router, tags=["public complaints"])
api.add_router("/monitoring/finance/", finance_router, tags=["monitoring"])
api.add_router("/monitoring/", monitoring_router, tags=["monitoring"])
api.add_router("/privacy/", privacy_router, tags=["data protection"])
api.add_router("/retention/", retention_router, tags=["retention"])
api.add_router("/webhooks/", webhooks_router, tags=["webhooks"])
api.add_router("/field/", field_bundle_router, tags=["field app"])  # /field/bundle first
api.add_router("/field/", field_router, tags=["field app"])

declare_errors(api)  # after every router is mounted
urls = api.urls
