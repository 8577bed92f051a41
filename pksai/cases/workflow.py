"""The SOP as a transition table: which stage may follow which, and who may make the move.

registration → triage → assessment → planning → plan review → implementation → closure review
→ follow-up (post-service monitoring) → closed. Reopening returns a case to assessment;
voiding ends it from any open stage. Every move is made by `services.case_transition`, which
checks this table, records the event and sets the next stage's owner and due date.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    TRIAGE = "triage", _("registered, awaiting triage")
    ASSESSMENT = "assessment", _("comprehensive assessment")
    PLANNING = "planning", _("case plan")
    PLAN_REVIEW = "plan_review", _("case plan awaiting approval")
    IMPLEMENTATION = "implementation", _("implementation")
    CLOSURE_REVIEW = "closure_review", _("closure awaiting approval")
    FOLLOW_UP = "follow_up", _("post-service monitoring")
    CLOSED = "closed", _("closed")
    VOID = "void", _("void")


OPEN_STAGES = frozenset(Stage) - {Stage.CLOSED, Stage.VOID}
# Moves a worker may never make on a case they own.
OWN_APPROVALS = frozenset({"approve_plan", "approve_closure"})


@dataclass(frozen=True)
class Transition:
    name: str
    source: frozenset[str]
    target: str
    perm: str  # the permission the actor needs (besides being able to open the case)
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("triage", frozenset({Stage.TRIAGE}), Stage.ASSESSMENT, "cases.triage_case"),
        Transition(
            "complete_assessment",
            frozenset({Stage.ASSESSMENT}),
            Stage.PLANNING,
            "cases.change_case",
        ),
        Transition(
            "submit_plan", frozenset({Stage.PLANNING}), Stage.PLAN_REVIEW, "cases.change_case"
        ),
        Transition(
            "approve_plan",
            frozenset({Stage.PLAN_REVIEW}),
            Stage.IMPLEMENTATION,
            "cases.approve_case",
        ),
        Transition(
            "reject_plan",
            frozenset({Stage.PLAN_REVIEW}),
            Stage.PLANNING,
            "cases.approve_case",
            needs_reason=True,
        ),
        Transition(
            "request_closure",
            frozenset({Stage.IMPLEMENTATION}),
            Stage.CLOSURE_REVIEW,
            "cases.change_case",
        ),
        Transition(
            "approve_closure",
            frozenset({Stage.CLOSURE_REVIEW}),
            Stage.FOLLOW_UP,
            "cases.approve_case",
        ),
        Transition(
            "reject_closure",
            frozenset({Stage.CLOSURE_REVIEW}),
            Stage.IMPLEMENTATION,
            "cases.approve_case",
            needs_reason=True,
        ),
        Transition(
            "finish_follow_up", frozenset({Stage.FOLLOW_UP}), Stage.CLOSED, "cases.change_case"
        ),
        Transition(
            "reopen",
            frozenset({Stage.FOLLOW_UP, Stage.CLOSED}),
            Stage.ASSESSMENT,
            "cases.change_case",
            needs_reason=True,
        ),
        Transition(
            "void", frozenset(OPEN_STAGES), Stage.VOID, "cases.approve_case", needs_reason=True
        ),
    )
}


def available_transitions(stage: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if stage in t.source]


@dataclass(frozen=True)
class Blocker:
    """Something the case lacks before a move can be made: ``code`` for programs, ``message``
    for people (translated when shown), and where to fix it — the page ``url_name`` with
    ``url_args`` (and an ``anchor`` on it), with ``link_text`` for the link."""

    code: str
    message: str | Promise
    url_name: str
    link_text: str | Promise
    url_args: tuple = ()
    anchor: str = ""

    @property
    def url(self) -> str:
        return reverse(self.url_name, args=self.url_args) + (
            f"#{self.anchor}" if self.anchor else ""
        )


@dataclass(frozen=True)
class Move:
    """A move a user's role allows from the case's stage, and what still blocks it (nothing
    when it can be made now)."""

    transition: Transition
    blockers: tuple[Blocker, ...] = ()

    @property
    def name(self) -> str:
        return self.transition.name

    @property
    def allowed(self) -> bool:
        return not self.blockers
