"""``{{ value|localtime_label }}``: "3 Des 2026 14.35 WITA" — a time in the reader's zone, with
the zone named (pksai.core.times). Loaded in every template (settings.TEMPLATES builtins)."""

from django import template

from pksai.core.times import local_label

register = template.Library()


@register.filter
def localtime_label(value) -> str:
    return local_label(value)
