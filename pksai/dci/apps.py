from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DciConfig(AppConfig):
    name = "pksai.dci"
    label = "dci"
    verbose_name = _("DCI registry APIs")
