"""``{% birth_registration case %}``: the child's birth registration on the case page — the
registry flag, the latest answer of the civil registry or of a delivered birth-certificate
referral, and the "check birth registration" button (DCI CRVS search, decision 0039)."""

from django import template

from pksai.dci import crvs
from pksai.dci.models import BirthRegistration

register = template.Library()


@register.inclusion_tag("dci/_birth_registration.html", takes_context=True)
def birth_registration(context, case):
    user = context["request"].user
    child = case.child
    return {
        "case": case,
        "child": child,
        "csrf_token": context.get("csrf_token"),
        "latest": BirthRegistration.objects.filter(person=child).first(),
        "can_check": user.has_perm("cases.change_case") and crvs.configured(),
    }
