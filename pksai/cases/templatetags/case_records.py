"""``{% case_records case %}``: the records sections of the case page — assessment, plan (goals,
actions and the form that adds one), conferences, visits (with the post-service follow-ups),
notes and attachments — with administrator-defined fields shown beside the built-in ones.
Restricted fields (notes) only for readers who may see them. The case page's own context
(forms, permissions, follow-ups) is passed through."""

from django import template

from pksai.cases.custom_fields import display_extra
from pksai.cases.models import CasePlan, CustomField
from pksai.cases.selectors import sees_restricted_fields
from pksai.cases.workflow import Stage

register = template.Library()

# Stages in which plan actions are added (services.plan_action_add) and records still change.
ACTION_STAGES = frozenset({Stage.PLANNING, Stage.IMPLEMENTATION})
ENDED = frozenset({Stage.CLOSED, Stage.VOID})


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
    actions = list(case.plan_actions.select_related("conference").order_by("due_date", "id"))
    can_change = user.has_perm("cases.change_case")
    return {
        **context.flatten(),
        "case": case,
        "can_change": can_change,
        "assessments": assessments,
        "plan": CasePlan.objects.filter(case=case).first(),
        "actions": actions,
        "can_add_action": can_change
        and case.stage in ACTION_STAGES
        and context.get("plan_action_form") is not None,
        "ended": case.stage in ENDED,
        "conferences": list(case.conferences.prefetch_related("participants", "actions")),
        "visits": visits,
        "full": full,
        "notes": list(case.notes.select_related("by")) if full else [],
        "attachments": list(case.attachments.select_related("uploaded_by")),
    }
