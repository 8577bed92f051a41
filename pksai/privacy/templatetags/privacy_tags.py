"""``{% sharing_basis referral %}``: on a referral's page, on which consent or legal ground
the child's identifying data were shared (the receiver sees it)."""

from django import template

from pksai.privacy.selectors import referral_disclosure

register = template.Library()


@register.inclusion_tag("privacy/_sharing_basis.html")
def sharing_basis(referral):
    return {"disclosure": referral_disclosure(referral), "referral": referral}
