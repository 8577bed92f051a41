"""``{% signed_in_as as who %}``: the header's name, role and place of the signed-in user."""

from django import template

from pksai.accounts.selectors import UserLabel, user_label

register = template.Library()


@register.simple_tag(takes_context=True)
def signed_in_as(context) -> UserLabel | None:
    user = getattr(context.get("request"), "user", None)
    return user_label(user=user) if user is not None and user.is_authenticated else None
