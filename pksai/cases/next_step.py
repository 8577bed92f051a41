"""What comes next for a case, in words, for the message after a change ("Case 7371-2026-0012
registered. Next step: registered, awaiting triage, due 3 Dec 2026.")."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pksai.cases.models import Case
from pksai.cases.workflow import Stage


def next_step(case: Case) -> str:
    if case.stage in {Stage.CLOSED, Stage.VOID}:
        return _("nothing; the case is %(stage)s.") % {"stage": case.get_stage_display()}
    if case.stage_due_at is None:
        return _("%(stage)s.") % {"stage": case.get_stage_display()}
    due = date_format(timezone.localtime(case.stage_due_at), "DATE_FORMAT")
    return _("%(stage)s, due %(due)s.") % {"stage": case.get_stage_display(), "due": due}
