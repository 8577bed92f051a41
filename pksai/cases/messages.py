"""Alerts and timeline events in the reader's language: the registry of codes → messages.

Services never store a sentence the system wrote. An alert or a timeline event stores a stable
``code`` and its ``params`` (JSON: numbers, names, stage and choice codes, ISO times) and is
rendered here, with gettext, each time someone reads it: the Indonesian worker and the
English-speaking adviser read the same row in their own language, and a time in their own
zone with its name (WIB/WITA/WIT, pksai.core.times). What a person typed — a note, a reason —
stays in the row's ``text`` exactly as typed and is shown after the message.

Codes are stored in the database and returned by the API: never rename or reuse one; add a new
code (and keep the old one here) when a message changes meaning. Rows written before codes
existed have no code and show their stored ``text`` (migration 0010 converted those it could
read).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from pksai.cases.models import Assessment, Channel, EmergencyAction, PlanAction, Rating
from pksai.cases.workflow import Stage
from pksai.core.times import local_label

if TYPE_CHECKING:
    from pksai.cases.models import Alert, CaseEvent

logger = logging.getLogger(__name__)

CASE = "case"
REFERRAL = "referral"


def _label(choices: type[models.TextChoices]) -> Callable[[Any], str]:
    """A stored choice code shown as its label in the active language (unknown: as stored)."""

    def show(value: Any) -> str:
        return str(choices(value).label) if value in choices.values else str(value)

    return show


_stage = _label(Stage)


def _localised(value: Any) -> str:
    """A name kept in both languages ({"id": …, "en": …}, e.g. a catalogue service) in the
    active one (Indonesian when there is no English)."""
    if isinstance(value, dict):
        return value.get((get_language() or "id")[:2]) or value.get("id") or ""
    return str(value)


@dataclass(frozen=True)
class Message:
    """One code's message: a template with %(name)s placeholders filled from the params (each
    shown through ``show[name]`` when listed there), or ``compose`` for a message that is not
    one sentence. ``link``: what an alert opens — its case, or the referral in
    ``params["referral"]``."""

    template: Promise | None = None
    show: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    compose: Callable[[dict[str, Any]], str] | None = None
    link: str = CASE


# --- Alerts: what a user is asked to do or told -------------------------------------------


def _now_yours(values: dict[str, Any]) -> str:
    pending = [gettext("emergency action not yet started")] if values.get("emergency") else []
    pending.append(_stage(values.get("stage", "")))
    pending += [f"{what} ({local_label(due)})" for what, due in values.get("actions", [])]
    return gettext("Case %(number)s is now yours. Pending: %(pending)s") % {
        "number": values["number"],
        "pending": "; ".join(pending),
    }


ALERTS: dict[str, Message] = {
    "case_assigned_triage": Message(_("New case %(number)s assigned to you for triage.")),
    "case_assigned": Message(compose=_now_yours),
    "case_transferred": Message(_("Case %(number)s was transferred to you.")),
    "case_no_supervisor": Message(_("New case %(number)s has no supervisor: choose one.")),
    "report_added": Message(_("A new report about the child was added to case %(number)s.")),
    "plan_awaits_approval": Message(_("Case %(number)s: the case plan awaits your approval.")),
    "closure_awaits_approval": Message(_("Case %(number)s: the closure awaits your approval.")),
    "case_moved": Message(_("Case %(number)s: %(stage)s."), {"stage": _stage}),
    "case_overdue": Message(
        _("Case %(number)s is overdue: “%(stage)s” was due %(due)s."),
        {"stage": _stage, "due": local_label},
    ),
    "referral_declined": Message(
        _("Referral %(number)s was declined by %(organisation)s: %(reason)s"), link=REFERRAL
    ),
    "referral_delivered": Message(
        _("Referral %(number)s: %(organisation)s delivered the service."), link=REFERRAL
    ),
    "referral_overdue_answer": Message(
        _("Referral %(number)s to %(organisation)s is overdue: no answer since %(sent)s."),
        {"sent": local_label},
        link=REFERRAL,
    ),
    "referral_overdue_service": Message(
        _("Referral %(number)s to %(organisation)s is overdue: service due %(due)s."),
        {"due": local_label},
        link=REFERRAL,
    ),
}

# Alerts about the case's current stage: done once the case moves on (case_transition).
STAGE_ALERTS = frozenset(
    {
        "case_assigned_triage",
        "case_assigned",
        "case_transferred",
        "plan_awaits_approval",
        "closure_awaits_approval",
        "case_moved",
        "case_overdue",
    }
)


# --- Timeline events: what happened (shown after the event's kind) -----------------------


def _referral(values: dict[str, Any]) -> str:
    said = f"{values['number']} → {values['organisation']}"
    if values.get("service"):
        said += f" ({values['service']})"
    if values.get("on_behalf"):
        said += " " + gettext("(recorded by case staff for the provider)")
    return said


EVENTS: dict[str, Message] = {
    "emergency_action": Message(
        compose=lambda v: v["kind"], show={"kind": _label(EmergencyAction.Kind)}
    ),
    "assessment_completed": Message(
        _("%(kind)s completed: overall risk %(risk)s."),
        {"kind": _label(Assessment.Kind), "risk": _label(Rating)},
    ),
    "conference_held": Message(_("Case conference on %(date)s"), {"date": local_label}),
    "visit_made": Message(_("Visit on %(date)s at %(place)s, saw %(seen)s"), {"date": local_label}),
    "plan_action_status": Message(
        compose=lambda v: f"{v['action']}: {v['status']}",
        show={"status": _label(PlanAction.Status)},
    ),
    "referral_update": Message(compose=_referral, show={"service": _localised}, link=REFERRAL),
    # another report about the child, added to their open case (services.case_add_report)
    "report_added": Message(_("reported through %(channel)s"), {"channel": _label(Channel)}),
    # a second open case registered anyway: the open ones (the reason is the event's text)
    "duplicate_registered": Message(compose=lambda v: v["numbers"]),
    # the Primero exchange (decision 0038): the Primero case and the mapping version used
    "primero_exported": Message(_("sent to Primero as case %(short_id)s (mapping %(version)s)")),
    "primero_imported": Message(_("imported from Primero case %(short_id)s (mapping %(version)s)")),
}


def render(messages: Mapping[str, Message], code: str, params: dict[str, Any]) -> str | None:
    """The message for ``code`` in the active language, or None for an unknown code or
    params that do not fit (the caller then shows the stored text)."""
    message = messages.get(code)
    if message is None:
        return None
    try:
        values = {
            name: message.show[name](value) if name in message.show else value
            for name, value in (params or {}).items()
        }
        if message.compose is not None:
            return message.compose(values)
        return str(message.template) % values
    except (KeyError, TypeError, ValueError):
        logger.warning("cannot render message %s with params %r", code, params, exc_info=True)
        return None


def alert_message(alert: Alert) -> str:
    said = render(ALERTS, alert.code, alert.params) if alert.code else None
    if said or alert.text:
        return said or alert.text
    return gettext("An alert about case %(number)s.") % {
        "number": (alert.params or {}).get("number", "—")
    }


def event_message(event: CaseEvent) -> str:
    """The rendered message, then what the person typed: "Medical care: took her to the
    puskesmas"; only the text for events that are only what someone typed."""
    said = render(EVENTS, event.code, event.params) if event.code else None
    return ": ".join(part for part in (said, event.text) if part)


def alert_url(alert: Alert) -> str:
    message = ALERTS.get(alert.code)
    try:
        if message is not None and message.link == REFERRAL and alert.params.get("referral"):
            return reverse("referrals:detail", args=[alert.params["referral"]])
        if alert.case_id:
            return reverse("cases:detail", args=[alert.case_id])
    except NoReverseMatch:
        pass
    return ""
