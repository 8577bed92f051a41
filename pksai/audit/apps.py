from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "pksai.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self):
        from pksai.audit import receivers  # noqa: F401  (login, logout, failed login, lockout)
