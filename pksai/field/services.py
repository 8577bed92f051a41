"""The field API's services (decision 0031): idempotent creates under a client id, the
field-level merge of a change based on an old version, the conflict inbox, and resumable
uploads. Records themselves are written only by their apps' services (pksai.field.kinds)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import get_visible_or_404, require_perm, scope_for
from pksai.audit.services import audit_record
from pksai.cases import records
from pksai.cases.models import Attachment, Case
from pksai.core import files
from pksai.field.cleanup import UPLOADS, _discard, _pieces, uploads_cleanup  # noqa: F401
from pksai.field.kinds import KINDS, Kind
from pksai.field.models import ClientRecord, FieldConflict, FieldUpload

SUPERVISE = "cases.approve_case"  # supervisors and coordinators see their team's conflicts


class ClientIdReused(ValidationError):
    """A client id already used for another kind of record or by another user (409)."""


# --- creates under a client id -----------------------------------------------------------


def _replay(claim: ClientRecord, kind: Kind, by: User) -> Model:
    if claim.kind != kind.name or claim.user_id != by.pk:
        raise ClientIdReused(
            _("This client id was already used for another record. Generate a new one.")
        )
    return kind.get_visible(by, claim.object_id)


def record_create(
    *, kind: Kind, by: User, client_id: uuid.UUID, create: Callable[[], Model]
) -> tuple[Model, bool]:
    """Create a record with ``create`` (which calls the owning app's service) under the
    device's ``client_id``, or return the record that id already made (a retry): (record,
    created). The client id row is inserted first, in the same transaction as the record, so a
    concurrent retry waits on its unique key and then finds the winner's record."""
    claim = ClientRecord.objects.filter(client_id=client_id).first()
    if claim is not None:
        return _replay(claim, kind, by), False
    try:
        with transaction.atomic():
            claim = ClientRecord.objects.create(client_id=client_id, kind=kind.name, user=by)
            obj = create()
            claim.object_id = obj.pk
            claim.save(update_fields=["object_id"])
    except IntegrityError:
        claim = ClientRecord.objects.filter(client_id=client_id).first()
        if claim is None:
            raise
        return _replay(claim, kind, by), False
    return obj, True


def client_ids(kind: Kind, ids: list[int]) -> dict[int, str]:
    """The client id each of ``ids`` was created under (records made on the web have none)."""
    rows = ClientRecord.objects.filter(kind=kind.name, object_id__in=ids)
    return {r.object_id: str(r.client_id) for r in rows.only("object_id", "client_id")}


# --- reads -------------------------------------------------------------------------------


def record_get(*, kind: Kind, by: User, pk: int) -> Model:
    obj = kind.get_visible(by, pk)
    audit_record(action="view", actor=by, obj=obj, detail={"field_api": kind.name})
    return obj


def record_list(*, kind: Kind, by: User, case: int | None = None, since=None) -> QuerySet:
    """The records of a kind the user may read, oldest change first (a device pulls with the
    last ``updated_at`` it saw as ``since``). ``case`` narrows to one case's records."""
    rows = kind.visible(by)
    if case is not None and kind.case_field:
        rows = rows.filter(**{f"{kind.case_field}_id": case})
    if since is not None:
        rows = rows.filter(**{f"{kind.changed_field}__gt": since})
    return rows.order_by(kind.changed_field, "pk")


# --- the field-level merge ---------------------------------------------------------------


@dataclass
class MergeResult:
    record: Model
    applied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already had the proposed value
    conflicts: list[FieldConflict] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """Nothing could be applied and something conflicts (answered 409)."""
        return bool(self.conflicts) and not self.applied


def _read_changes(kind: Kind, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(kind.fields))
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    if not changes:
        raise ValidationError(_("Send at least one change."))
    errors: dict[str, list[str]] = {}
    normal: dict[str, Any] = {}
    for name, value in changes.items():
        try:
            normal[name] = kind.normal(name, value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return normal


@transaction.atomic
def record_update(
    *,
    kind: Kind,
    by: User,
    pk: int,
    version: int,
    changes: dict[str, Any],
    base: dict[str, Any],
) -> MergeResult:
    """Apply a device's ``changes`` ({field: new value}) made on ``version`` of the record,
    whose fields it had loaded as ``base``. Same version: everything is applied (version + 1).
    An older version: field by field, a field nobody changed since (current == base) is
    applied, a field that already holds the new value is left, and any other field is a
    conflict — not applied, kept in the inbox with the three values. The record is locked
    while this runs; accepted changes go through the owning app's versioned service."""
    obj = kind.get_visible(by, pk, for_update=True)
    proposed = _read_changes(kind, changes)
    if version > obj.version or version < 1:
        raise ValidationError(_("This version of the record does not exist."))
    current = kind.values(obj)
    result = MergeResult(record=obj)
    accepted: dict[str, Any] = {}
    if version != obj.version:
        missing = sorted(set(proposed) - set(base))
        if missing:
            raise ValidationError(
                _("Send the value each changed field had when loaded (base): %(fields)s.")
                % {"fields": ", ".join(missing)}
            )
    for name, new in proposed.items():
        if current[name] == new:
            result.unchanged.append(name)
        elif version == obj.version or current[name] == kind.normal(name, base[name]):
            accepted[name] = new
        else:
            result.conflicts.append(
                FieldConflict(
                    kind=kind.name,
                    object_id=obj.pk,
                    area_id=kind.area_of(obj),
                    case=kind.case_of(obj),
                    field=name,
                    base=base[name],
                    theirs=current[name],
                    mine=new,
                    base_version=version,
                    seen_version=obj.version,
                    by=by,
                )
            )
    if accepted:
        values = {name: kind.fields[name](value) for name, value in (current | accepted).items()}
        result.record = kind.update(obj, by, values, obj.version)
        result.applied = sorted(accepted)
    for conflict in result.conflicts:
        conflict.save()
        audit_record(
            action="create",
            actor=by,
            obj=conflict,
            detail={"kind": kind.name, "record": obj.pk, "field": conflict.field},
        )
    return result


# --- the conflict inbox ------------------------------------------------------------------


def conflicts_visible(*, user: User) -> QuerySet[FieldConflict]:
    """The user's own conflicts and, for a supervisor or coordinator, those of the records in
    their area (the team's), newest first."""
    if not (user.has_perm("cases.view_case") or user.has_perm("programs.view_beneficiary")):
        require_perm(user, "cases.view_case")  # refused: nothing the field app writes
    mine = Q(by=user)
    if user.has_perm(SUPERVISE):
        mine |= scope_for(user).q("area")
    return FieldConflict.objects.filter(mine).select_related("by", "case")


def conflicts_open(*, user: User) -> QuerySet[FieldConflict]:
    return conflicts_visible(user=user).filter(resolved_at__isnull=True)


def conflict_get(*, user: User, pk: int) -> FieldConflict:
    return get_visible_or_404(
        lambda: conflicts_visible(user=user), base=FieldConflict.objects.all(), pk=pk
    )


@transaction.atomic
def conflict_resolve(
    *,
    conflict: FieldConflict,
    by: User,
    choice: str,
    version: int,
    value: Any = None,
) -> FieldConflict:
    """Settle a conflict: keep the saved value (``theirs``), apply the device's (``mine``) or
    a new value (``edit``). ``version`` is the record's version the chooser saw: applying
    goes through the same versioned service, so a record changed meanwhile is refused
    (ConflictError, 409) and the choice is asked again."""
    conflict = FieldConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.resolved_at is not None:
        raise ValidationError(_("This conflict was already settled."))
    if choice not in FieldConflict.Choice.values:
        raise ValidationError({"choice": [_("Choose mine, theirs or a new value.")]})
    kind = KINDS[conflict.kind]
    obj = kind.get_visible(by, conflict.object_id, for_update=True)
    if choice != FieldConflict.Choice.THEIRS:
        new = conflict.mine if choice == FieldConflict.Choice.MINE else value
        current = kind.values(obj)
        values = {name: kind.fields[name](v) for name, v in current.items()}
        values[conflict.field] = kind.fields[conflict.field](new)
        kind.update(obj, by, values, version)
    elif version != obj.version:
        from pksai.cases.services import ConflictError

        raise ConflictError(_("The record changed again since you opened it: look again."))
    conflict.choice, conflict.resolved_by, conflict.resolved_at = choice, by, timezone.now()
    conflict.save(update_fields=["choice", "resolved_by", "resolved_at"])
    audit_record(
        action="update",
        actor=by,
        obj=conflict,
        detail={"kind": conflict.kind, "record": conflict.object_id, "choice": choice},
    )
    return conflict


# --- resumable uploads -------------------------------------------------------------------


def _piece(upload: FieldUpload, offset: int) -> str:
    return f"{UPLOADS}/{upload.stored_name}/{offset:012d}"


def upload_start(
    *,
    by: User,
    case: Case,
    client_id: uuid.UUID,
    kind: str,
    title: str,
    filename: str,
    content_type: str,
    size: int,
    sha256: str,
) -> tuple[FieldUpload, bool]:
    """Open a resumable upload for an attachment of ``case`` (fetched through the user's
    scope), or return the one ``client_id`` already opened (a retry): (upload, created)."""
    require_perm(by, records.CHANGE)
    limit = settings.ATTACHMENT_MAX_BYTES
    if size < 1 or size > limit:
        raise ValidationError(
            {"size": [_("The file is too large (at most %(mb)s MB).") % {"mb": limit // 2**20}]}
            if size > limit
            else {"size": [_("The file is empty.")]}
        )
    sha256 = sha256.lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValidationError({"sha256": [_("Give the file's SHA-256 as 64 hexadecimal digits.")]})
    if kind not in Attachment.Kind.values:
        raise ValidationError({"kind": [_("Choose what kind of document this is.")]})
    existing = FieldUpload.objects.filter(client_id=client_id).first()
    if existing is not None:
        if existing.user_id != by.pk or existing.case_id != case.pk:
            raise ClientIdReused(
                _("This client id was already used for another record. Generate a new one.")
            )
        return existing, False
    try:
        with transaction.atomic():
            upload = FieldUpload.objects.create(
                client_id=client_id,
                user=by,
                case=case,
                kind=kind,
                title=title.strip()[:200],
                filename=filename.strip()[:255] or "file",
                content_type=content_type[:100],
                size=size,
                sha256=sha256,
                stored_name=uuid.uuid4().hex,
            )
            audit_record(action="create", actor=by, obj=upload, detail={"case": case.number})
    except IntegrityError:
        return upload_start(
            by=by,
            case=case,
            client_id=client_id,
            kind=kind,
            title=title,
            filename=filename,
            content_type=content_type,
            size=size,
            sha256=sha256,
        )
    return upload, True


def upload_get(*, user: User, pk: int) -> FieldUpload:
    """One of the user's own uploads, else Http404."""
    require_perm(user, records.CHANGE)
    return get_visible_or_404(
        FieldUpload.objects.filter(user=user).select_related("case", "attachment"),
        base=FieldUpload.objects.all(),
        pk=pk,
    )


class OffsetMismatch(ValidationError):
    """A chunk sent at another offset than the server has (409: ask for the offset again)."""


class _Pieces:
    """The stored pieces read one after the other as one file (for attachment_add)."""

    def __init__(self, names: list[str], name: str, size: int) -> None:
        self.names, self.name, self.size = names, name, size

    def read(self, limit: int = -1) -> bytes:
        out = bytearray()
        for piece in self.names:
            with files.open_file(records.ATTACHMENTS, piece) as f:
                out += f.read()
            if 0 <= limit < len(out):
                break
        return bytes(out if limit < 0 else out[:limit])


def upload_append(*, upload: FieldUpload, by: User, offset: int, data: bytes) -> FieldUpload:
    """Append a chunk at ``offset`` (the server's offset, else OffsetMismatch). The chunk that
    completes the file is verified (size and SHA-256) and becomes the case's Attachment
    through records.attachment_add; a wrong checksum discards the pieces and the upload starts
    again at 0 (ChecksumMismatch)."""
    with transaction.atomic():
        upload = FieldUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.attachment_id is not None:
            raise ValidationError(_("This upload is complete."))
        if offset != upload.offset:
            raise OffsetMismatch(
                _("The upload is at byte %(offset)s: send from there.") % {"offset": upload.offset}
            )
        if not data:
            raise ValidationError(_("The chunk is empty."))
        if upload.offset + len(data) > upload.size:
            raise ValidationError(_("The chunk goes beyond the declared size."))
        name = _piece(upload, offset)
        files.delete(records.ATTACHMENTS, name)  # a piece of a chunk whose answer was lost
        files.save_bytes(records.ATTACHMENTS, name, data)
        upload.offset += len(data)
        upload.save(update_fields=["offset", "updated_at"])
        if upload.offset < upload.size:
            return upload
        names = [n for n in _pieces(upload) if int(n.rsplit("/", 1)[1]) < upload.size]
        whole = _Pieces(names, upload.filename, upload.size)
        good = hashlib.sha256(whole.read()).hexdigest() == upload.sha256
        if good:
            case = Case.objects.select_for_update(of=("self",)).get(pk=upload.case_id)
            attachment = records.attachment_add(
                case=case, by=by, kind=upload.kind, title=upload.title, upload=whole
            )
            upload.attachment = attachment
            upload.save(update_fields=["attachment", "updated_at"])
            ClientRecord.objects.create(
                client_id=upload.client_id, kind="attachments", object_id=attachment.pk, user=by
            )
            transaction.on_commit(lambda: [files.delete(records.ATTACHMENTS, n) for n in names])
            return upload
        upload.offset = 0
        upload.save(update_fields=["offset", "updated_at"])
        audit_record(action="update", actor=by, obj=upload, detail={"checksum": "mismatch"})
    _discard(upload)
    raise ChecksumMismatch(_("The file's SHA-256 does not match the one declared: send it again."))


class ChecksumMismatch(ValidationError):
    """The assembled file is not the one declared (422; the upload starts again at 0)."""
