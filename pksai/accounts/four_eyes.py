"""Four eyes on decisions that move money: whoever prepared a decision does not approve it.

Today two decisions fall under it: approving a selection round's list under a decree (who ran
the round or changed its list may not approve it, pksai.programs.services) and approving a
PKSA child's fund-utilisation plan, which opens the savings account to withdrawals (who drafted
the plan may not approve it, pksai.payments.savings).

The smallest offices have a single program officer: they set ``PKSAI_ALLOW_SELF_APPROVAL`` (off
by default) and the rule is lifted everywhere at once.

A refusal is a ``SelfApprovalRefused`` (a ``PermissionDenied`` carrying a message in the user's
language), written to the audit log as ``permission_denied`` before it is raised — outside the
decision's transaction, so the attempt stays recorded although nothing was approved. Pages
show the message instead of the approve button (``self_approval_refusal`` tells them
beforehand); the API answers 403 with the message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Model


class SelfApprovalRefused(PermissionDenied):
    """Approval refused because the approver prepared what they approve."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def self_approval_allowed() -> bool:
    return bool(getattr(settings, "PKSAI_ALLOW_SELF_APPROVAL", False))


def self_approval_refusal(*, user: Any, makers: Iterable[int | None], message: str) -> str:
    """``message`` when ``user`` is one of ``makers`` (user ids) and self-approval is not
    allowed; otherwise "" (the user may approve, as far as four eyes go)."""
    if self_approval_allowed() or user is None or user.pk is None:
        return ""
    return message if user.pk in set(makers) else ""


def refuse_self_approval(*, by: Any, obj: Model, message: str, rule: str) -> NoReturn:
    """Write the refused attempt to the audit log, then raise ``SelfApprovalRefused``.

    Call it before the decision's transaction opens: the audit row must not be rolled back
    with the decision."""
    from pksai.audit.services import audit_record  # the arrow runs audit ← accounts

    audit_record(
        action="permission_denied",
        actor=by,
        obj=obj,
        detail={"reason": "four_eyes", "rule": rule},
    )
    raise SelfApprovalRefused(message)


def require_other_approver(
    *, by: Any, makers: Iterable[int | None], obj: Model, message: str, rule: str
) -> None:
    """Refuse (audited, then ``SelfApprovalRefused``) when ``by`` is one of ``makers`` and
    self-approval is not allowed."""
    refusal = self_approval_refusal(user=by, makers=makers, message=message)
    if refusal:
        refuse_self_approval(by=by, obj=obj, message=refusal, rule=rule)
