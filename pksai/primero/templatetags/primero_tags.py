"""``{% primero_section case %}``: the case page's Primero block — the linked Primero case and
the "Send to Primero" button for those allowed (decision 0038)."""

from django import template
from django.conf import settings

from pksai.primero.models import CaseLink
from pksai.primero.services import EXPORT

register = template.Library()


@register.inclusion_tag("primero/_case_section.html", takes_context=True)
def primero_section(context, case):
    user = context["request"].user
    link = CaseLink.objects.filter(case=case).first()
    can_send = user.has_perm(EXPORT) and bool(settings.PKSAI_PRIMERO_URL)
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "case": case,
        "link": link,
        "can_send": can_send,
        "show": can_send or link is not None,
    }
