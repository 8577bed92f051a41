"""``{% case_referrals case %}``: the referrals section of the case page — the case's
referrals and transfers with their status, the links to refer or transfer, and client
satisfaction at closure."""

from django import template

from pksai.cases.workflow import OPEN_STAGES
from pksai.referrals.forms import SatisfactionForm
from pksai.referrals.selectors import is_overdue

register = template.Library()

CLOSING = {"closure_review", "follow_up", "closed"}


@register.inclusion_tag("referrals/_case_section.html", takes_context=True)
def case_referrals(context, case):
    user = context["request"].user
    referrals = list(case.referrals.select_related("to_organisation", "service"))
    for r in referrals:
        r.is_overdue = is_overdue(r)
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "case": case,
        "referrals": referrals,
        "can_refer": user.has_perm("referrals.add_referral") and case.stage in OPEN_STAGES,
        "can_transfer": user.has_perm("referrals.add_referral")
        and user.has_perm("cases.approve_case")
        and case.stage in OPEN_STAGES,
        "closing": case.stage in CLOSING,
        "sees_consents": user.has_perm("privacy.view_consent"),
        "can_record": user.has_perm("referrals.change_referral"),
        "satisfaction": [s for s in case.satisfaction_records.filter(referral__isnull=True)],
        "satisfaction_form": SatisfactionForm(),
    }
