from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "pksai.api"
    label = "pksai_api"
    verbose_name = "API"
