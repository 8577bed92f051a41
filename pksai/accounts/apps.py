from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pksai.accounts"
    label = "accounts"
    verbose_name = _("Accounts and access")

    def ready(self):
        from pksai.accounts.roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, sender=self)
