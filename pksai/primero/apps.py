from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrimeroConfig(AppConfig):
    name = "pksai.primero"
    label = "primero"
    verbose_name = _("Primero exchange")
    default_auto_field = "django.db.models.BigAutoField"
