"""``{% case_records case %}``: the records section of the case page (assessments, plan,
conferences, visits, notes, attachments), with administrator-defined fields shown beside the
built-in ones. Restricted fields (notes, attachments) only for readers who may see them."""

from django import template

from pksai.cases.custom_fields import display_extra
from pksai.cases.models import CasePlan, CustomField
from pksai.cases.selectors import sees_restricted_fields

register = template.Library()


@register.inclusion_tag("cases/records/_section.html", takes_context=True)
def case_records(context, case):
    user = context["request"].user
    assessments = list(case.assessments.select_related("updated_by"))
    for a in assessments:
        a.extra_rows = display_extra(CustomField.Form.ASSESSMENT, a.extra)
    visits = list(case.visits.select_related("by"))
    for v in visits:
        v.extra_rows = display_extra(CustomField.Form.VISIT, v.extra)
    full = sees_restricted_fields(case, user)
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "perms": context.get("perms"),
        "case": case,
        "can_change": user.has_perm("cases.change_case"),
        "intake_extra": display_extra(CustomField.Form.INTAKE, case.extra),
        "assessments": assessments,
        "plan": CasePlan.objects.filter(case=case).first(),
        "actions": list(case.plan_actions.select_related("conference")),
        "conferences": list(case.conferences.prefetch_related("participants", "actions")),
        "visits": visits,
        "full": full,
        "notes": list(case.notes.select_related("by")) if full else [],
        "attachments": list(case.attachments.select_related("uploaded_by")),
    }
