from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "pksai.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self):
        from pksai.ops.db_roles import grant_after_migrate

        # Sent once per app with models at the end of every migrate; the audit app's is the
        # one whose table this is about (this app has no models of its own).
        post_migrate.connect(
            grant_after_migrate,
            sender=apps.get_app_config("audit"),
            dispatch_uid="pksai.ops.grant_after_migrate",
        )
