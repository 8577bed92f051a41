"""Template filters that turn codes into words:
``{% load labels %}{{ e.object_type|record_kind }}``."""

from django import template

from pksai.core.labels import record_kind as _record_kind

register = template.Library()


@register.filter
def record_kind(object_type: str) -> str:
    return _record_kind(object_type)
