"""``{% load role_labels %}{{ "social_worker,supervisor"|role_labels }}`` → the roles' names in the
active language ("Pekerja sosial / fasilitator, Supervisor"), never their slugs."""

from django import template

from pksai.accounts.roles import role_label

register = template.Library()


@register.filter
def role_labels(slugs: str | list[str]) -> str:
    if isinstance(slugs, str):
        slugs = [s.strip() for s in slugs.split(",")]
    return ", ".join(role_label(slug) for slug in slugs if slug)


@register.filter(name="role_label")
def role_label_filter(slug: str) -> str:
    return role_label(slug)
