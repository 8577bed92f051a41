"""The one helper every app calls to write the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import models

from pksai.audit.models import AuditEvent
from pksai.core.context import current_request_context
from pksai.core.crypto import redact_niks


def role_names(user: Any) -> str:
    """The user's role (group) names, sorted and comma-joined, read once per request: kept
    on the user object (the audit rows and the page header both need them)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    names = getattr(user, "_pksai_role_names", None)
    if names is None:
        names = ",".join(sorted(user.groups.values_list("name", flat=True)))
        user._pksai_role_names = names
    return names


def audit_record(
    *,
    action: str,
    actor: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    detail: dict[str, Any] | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one audit row. Who, IP and request id come from the current request unless given.

    Call it in the same transaction as the change it records, so both land or neither does.
    """
    if action not in AuditEvent.Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    ctx = current_request_context()
    if actor is None and ctx is not None:
        actor = ctx.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if detail and isinstance(detail.get("filters"), dict):
        # a NIK searched is kept as its keyed hash, never in clear (decision 0024)
        detail = {**detail, "filters": redact_niks(detail["filters"])}
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    return AuditEvent.objects.create(
        actor=actor,
        actor_username=(actor.get_username() if actor is not None else username)[:150],
        actor_roles=role_names(actor)[:300],
        action=action,
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        object_repr=object_repr[:200],
        ip=ctx.ip if ctx else None,
        request_id=ctx.request_id if ctx else "",
        path=ctx.path if ctx else "",
        detail=detail or {},
    )


def audit_refusal(**kwargs: Any) -> tuple[AuditEvent, dict[str, Any]]:
    """The permission_denied row of a refused record, and what a later rewrite needs (see
    audit_refusal_kept): a refusal inside a transaction (an API write under a row lock) rolls
    its own audit row back with everything else."""
    return audit_record(action="permission_denied", **kwargs), kwargs


def audit_refusal_kept(exception: BaseException) -> None:
    """Called where a refusal becomes an answer (the audit middleware, the API's 404
    handler), after any transaction it was raised in has ended: the refusal's audit row is
    written again if that transaction took it away."""
    pending = getattr(exception, "pksai_refusal", None)
    if pending is None:
        return
    row, kwargs = pending
    exception.pksai_refusal = None
    if not AuditEvent.objects.filter(pk=row.pk, at=row.at, object_id=row.object_id).exists():
        audit_record(action="permission_denied", **kwargs)
