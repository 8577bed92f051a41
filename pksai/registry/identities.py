"""One person across sources and editions: identities, linkage into them, survivorship.

Every registry row (``Person``) belongs to one ``Identity``. Imports link their rows into
identities in bulk (``link_rows``): a trusted NIK shared with another row is a link
(deterministic); rows without one are compared probabilistically (``pksai.registry.linkage``)
when that engine is available: pairs above the upper threshold link automatically, pairs
between the thresholds wait in the review queue (``LinkCandidate``) for a data officer.
Links, unlinks and decisions are recorded and audited, and every decision can be reversed.

Survivorship (docs/linkage.md): an identity's ``primary`` row is its row still in the current
registry from the best-ranked source (official registry first, case intake last), newest
edition first; the identity's attributes and score come from it. Rows are never overwritten
by another source: a case record stays as the worker wrote it.

All of it is set-based (SQL and Polars): no query per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import polars as pl
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.audit.services import audit_record
from pksai.core.bulk import bulk_update
from pksai.core.crypto import open_column
from pksai.registry.models import Identity, ImportBatch, LinkCandidate, Person, Source

ID_CHUNK = 5_000
UNTRUSTED_NIK_FLAGS = ("nik_duplicate", "nik_birthdate_mismatch", "nik_sex_mismatch")


def _chunks(ids: list[int], size: int = ID_CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _frame(sql: str, params: list, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _rows_of_identities(identity_ids: Iterable[int], columns: str, schema) -> pl.DataFrame:
    ids = sorted(set(identity_ids))
    parts = [
        _frame(
            f"SELECT {columns} FROM registry_person p "  # noqa: S608 (our columns)
            f"LEFT JOIN registry_source s ON s.code = p.source "
            f"WHERE p.identity_id IN ({', '.join(['%s'] * len(chunk))})",
            chunk,
            schema,
        )
        for chunk in _chunks(ids)
    ]
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def ensure_identities() -> int:
    """Give every row without an identity its own (two statements, any number of rows).
    Returns how many identities were created."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registry_identity (primary_id, in_registry, created_at, updated_at) "
            "SELECT id, in_registry, %s, %s FROM registry_person WHERE identity_id IS NULL",
            [now, now],
        )
        created = cursor.rowcount
        if created:
            # One join (UPDATE … FROM), not a subquery per row; the planner first learns how
            # many rows the import just wrote.
            analyse()
            cursor.execute(
                "UPDATE registry_person SET identity_id = i.id FROM registry_identity i "
                "WHERE i.primary_id = registry_person.id AND registry_person.identity_id IS NULL"
            )
            analyse()
    return max(created, 0)


def analyse() -> None:
    """Refresh PostgreSQL's statistics of the registry tables inside the import's transaction:
    without them the planner takes freshly written tables for empty and scans them whole for
    every chunk of ids (quadratic at a million rows)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_person, registry_household, registry_identity")


def ensure_source(code: str, *, kind: str | None = None) -> Source:
    """The source named ``code``, created on first use (case intake is ranked last)."""
    source = Source.objects.filter(code=code).first()
    if source is not None:
        return source
    kind = kind or (Source.Kind.CASE_INTAKE if code == "CASE" else Source.Kind.OFFICIAL)
    source, _created = Source.objects.get_or_create(
        code=code, defaults={"kind": kind, "rank": Source.RANKS.get(kind, 4), "name": code}
    )
    return source


def refresh_identities(identity_ids: Iterable[int]) -> int:
    """Recompute ``primary`` and ``in_registry`` of these identities from their rows
    (survivorship); identities left without rows are deleted. Returns identities updated."""
    ids = sorted(set(identity_ids))
    if not ids:
        return 0
    rows = _rows_of_identities(
        ids,
        "p.id, p.identity_id, p.in_registry, COALESCE(s.rank, 4), p.edition",
        {
            "id": pl.Int64,
            "identity_id": pl.Int64,
            "in_registry": pl.Boolean,
            "rank": pl.Int64,
            "edition": pl.String,
        },
    )
    best = (
        rows.sort(
            ["identity_id", "in_registry", "rank", "edition", "id"],
            descending=[False, True, False, True, True],
        )
        .group_by("identity_id", maintain_order=True)
        .agg(pl.col("id").first().alias("primary_id"), pl.col("in_registry").any())
        .rename({"identity_id": "id"})
        .with_columns(updated_at=pl.lit(timezone.now()))
    )
    bulk_update(table=Identity._meta.db_table, frame=best, key="id")
    empty = sorted(set(ids) - set(best["id"].to_list()))
    for chunk in _chunks(empty):
        Identity.objects.filter(pk__in=chunk).delete()
    return best.height


def _merge(groups: pl.DataFrame) -> set[int]:
    """Move every row of identity ``identity_id`` into ``target`` (a frame of both), in one
    bulk update. Returns the identities touched."""
    moves = groups.filter(pl.col("identity_id") != pl.col("target")).unique("identity_id")
    if moves.is_empty():
        return set()
    rows = _rows_of_identities(
        moves["identity_id"].to_list(), "p.id, p.identity_id", {"id": pl.Int64, "old": pl.Int64}
    )
    frame = rows.join(moves.rename({"identity_id": "old"}), on="old").select(
        "id", pl.col("target").alias("identity_id"), updated_at=pl.lit(timezone.now())
    )
    bulk_update(table=Person._meta.db_table, frame=frame, key="id")
    return set(moves["identity_id"].to_list()) | set(moves["target"].to_list())


def _components(edges: pl.DataFrame) -> pl.DataFrame:
    """Connected components of an identity graph (columns a, b): each identity → the smallest
    identity id of its component (min-label propagation, vectorised)."""
    both = pl.concat(
        [edges.select("a", "b"), edges.select(pl.col("b").alias("a"), pl.col("a").alias("b"))]
    )
    label = (
        both.group_by("a")
        .agg(pl.min("b").alias("label"))
        .with_columns(pl.min_horizontal("a", "label").alias("label"))
    )
    while True:
        spread = (
            both.join(label, left_on="b", right_on="a")
            .group_by("a")
            .agg(pl.min("label").alias("new"))
            .join(label, on="a")
            .with_columns(pl.min_horizontal("new", "label").alias("new"))
        )
        if (spread["new"] == spread["label"]).all():
            return spread.select(pl.col("a").alias("identity_id"), pl.col("new").alias("target"))
        label = spread.select("a", pl.col("new").alias("label"))


def _kept_apart() -> pl.DataFrame:
    return _frame(
        "SELECT l.identity_id, r.identity_id FROM registry_linkcandidate c "
        "JOIN registry_person l ON l.id = c.left_id JOIN registry_person r ON r.id = c.right_id "
        "WHERE c.status = %s",
        [LinkCandidate.Status.APART],
        {"a": pl.Int64, "b": pl.Int64},
    )


def _record_pairs(pairs: pl.DataFrame, *, status: str, batch: ImportBatch | None) -> int:
    """Store pairs (left, right, method, probability) as link candidates (new pairs only)."""
    if pairs.is_empty():
        return 0
    villages = _frame_by_ids(pairs["left"].to_list(), "p.id, p.village_id", ["left", "village_id"])
    frame = (
        pairs.join(villages, on="left")
        .with_columns(
            pl.min_horizontal("left", "right").alias("left_id"),
            pl.max_horizontal("left", "right").alias("right_id"),
        )
        .select(
            "left_id",
            "right_id",
            "method",
            "probability",
            "village_id",
            status=pl.lit(status),
            batch_id=pl.lit(batch.pk if batch else None, dtype=pl.Int64),
            created_at=pl.lit(timezone.now()),
            decided_at=pl.lit(timezone.now() if status != "pending" else None),
        )
        .unique(["left_id", "right_id"])
    )
    from pksai.core.bulk import bulk_upsert

    return bulk_upsert(
        table=LinkCandidate._meta.db_table, frame=frame, key=["left_id", "right_id"], update=[]
    )


def _frame_by_ids(ids: list[int], columns: str, names: list[str]) -> pl.DataFrame:
    schema = dict.fromkeys(names, pl.Int64) | {"village_id": pl.String}
    schema = {n: schema[n] for n in names}
    parts = [
        _frame(
            f"SELECT {columns} FROM registry_person p "  # noqa: S608 (ours)
            f"WHERE p.id IN ({', '.join(['%s'] * len(chunk))})",
            chunk,
            schema,
        )
        for chunk in _chunks(sorted(set(ids)))
    ]
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def link_by_nik(person_ids: list[int], *, batch: ImportBatch | None = None) -> set[int]:
    """Deterministic linkage: rows sharing a trusted NIK (16 digits, not flagged duplicate or
    inconsistent) are one identity. Only ``person_ids`` are looked up, against every row with
    the same NIK — compared by their keyed hashes (decision 0024), never opened. Pairs a data
    officer kept apart stay apart. Returns identities touched."""
    schema = {"id": pl.Int64, "identity_id": pl.Int64, "nik": pl.String, "flags": pl.String}
    parts = []
    for chunk in _chunks(sorted(set(person_ids))):
        marks = ", ".join(["%s"] * len(chunk))
        parts.append(
            _frame(
                "SELECT o.id, o.identity_id, o.nik_hash, o.dq_flags "  # noqa: S608
                "FROM registry_person o WHERE o.nik_hash IN (SELECT p.nik_hash "
                f"FROM registry_person p WHERE p.id IN ({marks}) AND p.nik_hash <> '')",
                chunk,
                schema,
            )
        )
    if not parts:
        return set()
    rows = pl.concat(parts).unique("id")
    trusted = rows.filter(
        ~pl.any_horizontal([pl.col("flags").str.contains(f) for f in UNTRUSTED_NIK_FLAGS])
    )
    pairs = (
        trusted.join(trusted, on="nik", suffix="_r")
        .filter(pl.col("identity_id") < pl.col("identity_id_r"))
        .select(
            pl.col("identity_id").alias("a"),
            pl.col("identity_id_r").alias("b"),
            pl.col("id").alias("left"),
            pl.col("id_r").alias("right"),
        )
    )
    apart = _kept_apart()
    if apart.height:
        pairs = pairs.join(apart, on=["a", "b"], how="anti").join(
            apart.select(pl.col("b").alias("a"), pl.col("a").alias("b")), on=["a", "b"], how="anti"
        )
    if pairs.is_empty():
        return set()
    touched = _merge(_components(pairs.select("a", "b")))
    _record_pairs(
        pairs.unique(["a", "b"]).select(
            "left", "right", method=pl.lit("nik"), probability=pl.lit(1.0)
        ),
        status=LinkCandidate.Status.LINKED,
        batch=batch,
    )
    return touched


def link_probabilistic(
    person_ids: list[int], *, batch: ImportBatch | None = None, coverage: list[str] | None = None
) -> tuple[set[int], int]:
    """Probabilistic linkage of ``person_ids`` (those still alone in their identity) against
    the current rows of the regencies covered. Pairs at or above the upper threshold link;
    pairs between the thresholds wait for review. Returns (identities touched, pairs queued).
    Without the linkage engine installed this links nothing and says so in the batch."""
    try:
        from pksai.registry import linkage
    except ImportError:
        return set(), 0
    from django.conf import settings

    upper = settings.PKSAI_LINK_UPPER
    lower = settings.PKSAI_LINK_LOWER
    if coverage and batch is not None:
        # Nothing to compare with (a first import): skip reading every new row.
        area = Q()
        for regency in coverage:
            area |= Q(village__code__startswith=regency + ".")
        others = Person.objects.filter(area, in_registry=True).exclude(batch=batch)
        if not others.exists():
            return set(), 0
    new = _linkage_records(person_ids=person_ids)
    if new.is_empty():
        return set(), 0
    regencies = coverage or sorted(set(new["village_code"].str.slice(0, 5).to_list()))
    existing = _linkage_records(regencies=regencies).join(
        new.select("record_id"), on="record_id", how="anti"
    )
    if existing.is_empty():
        return set(), 0
    pairs = linkage.link(new, existing, lower=lower, upper=upper)
    pairs = pairs.filter(pl.col("method") == "probabilistic")
    if pairs.is_empty():
        return set(), 0
    ids = _frame_by_ids(
        list(set(pairs["record_id_l"].to_list()) | set(pairs["record_id_r"].to_list())),
        "p.id, p.identity_id",
        ["id", "identity_id"],
    )
    pairs = (
        pairs.rename({"record_id_l": "left", "record_id_r": "right"})
        .join(ids.rename({"id": "left", "identity_id": "a"}), on="left")
        .join(ids.rename({"id": "right", "identity_id": "b"}), on="right")
        .filter(pl.col("a") != pl.col("b"))
        .with_columns(probability=pl.col("match_probability"))
    )
    apart = _kept_apart()
    for x, y in (("a", "b"), ("b", "a")):
        pairs = pairs.join(apart.rename({"a": x, "b": y}), on=["a", "b"], how="anti")
    sure = pairs.filter(pl.col("probability") >= upper)
    unsure = pairs.filter(pl.col("probability") < upper)
    touched = _merge(_components(sure.select("a", "b"))) if sure.height else set()
    _record_pairs(
        sure.select("left", "right", "method", "probability"),
        status=LinkCandidate.Status.LINKED,
        batch=batch,
    )
    queued = _record_pairs(
        unsure.select("left", "right", "method", "probability"),
        status=LinkCandidate.Status.PENDING,
        batch=batch,
    )
    return touched, queued


def _linkage_records(
    *, person_ids: list[int] | None = None, regencies: list[str] | None = None
) -> pl.DataFrame:
    """Rows as the linkage engine reads them (record_id, source, nik, kk_number, name,
    birth_date, sex, village_code, household_key, dq_flags)."""
    schema = {
        "record_id": pl.Int64,
        "source": pl.String,
        "nik": pl.String,
        "kk_number": pl.String,
        "name": pl.String,
        "birth_date": pl.Date,
        "sex": pl.String,
        "village_code": pl.String,
        "household_key": pl.String,
        "dq_flags": pl.String,
    }
    select = (
        "SELECT p.id, p.source, p.nik, h.kk_number, p.name, p.birth_date, p.sex, p.village_id, "
        "p.household_key, p.dq_flags FROM registry_person p "
        "JOIN registry_household h ON h.id = p.household_id WHERE "
    )
    parts = []
    if person_ids is not None:
        for chunk in _chunks(sorted(set(person_ids))):
            parts.append(
                _frame(select + f"p.id IN ({', '.join(['%s'] * len(chunk))})", chunk, schema)
            )
    for regency in regencies or []:
        parts.append(
            _frame(
                select + "p.in_registry = %s AND p.village_id LIKE %s",
                [True, regency + ".%"],
                schema,
            )
        )
    if not parts:
        return pl.DataFrame(schema=schema)
    frame = pl.concat(parts).with_columns(open_column("nik"))  # opened in bulk (decision 0024)
    if frame.schema["birth_date"] != pl.Date:
        frame = frame.with_columns(pl.col("birth_date").cast(pl.Date, strict=False))
    return frame.with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
        for c in ("nik", "kk_number")
    )


# --- a data officer's decisions ---------------------------------------------------------------


def _identity_ids_of(*people: Person) -> set[int]:
    return {p.identity_id for p in people if p.identity_id}


def _locked(candidate: LinkCandidate, *, unless: str, message: str) -> LinkCandidate:
    """The pair, row-locked; a ValidationError when it already has status ``unless``."""
    candidate = LinkCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status == unless:
        raise ValidationError(message)
    return candidate


def _decide(
    candidate: LinkCandidate, *, status: str, by, touched: set[int], detail: dict
) -> LinkCandidate:
    """Record a decision on the pair (who and when, or neither when reopened), recompute the
    identities it touched, audit it and rescore them."""
    candidate.status = status
    pending = status == LinkCandidate.Status.PENDING
    candidate.decided_at = None if pending else timezone.now()
    candidate.decided_by = None if pending else by
    candidate.save(update_fields=["status", "decided_at", "decided_by"])
    refresh_identities(touched)
    audit_record(action="update", actor=by, obj=candidate, detail=detail)
    _rescore(touched)
    return candidate


@transaction.atomic
def candidate_link(*, candidate: LinkCandidate, by) -> LinkCandidate:
    """Link the pair: the right row's whole identity joins the left row's."""
    candidate = _locked(
        candidate,
        unless=LinkCandidate.Status.LINKED,
        message=_("These two records are already linked."),
    )
    left, right = candidate.left, candidate.right
    touched = _identity_ids_of(left, right)
    if left.identity_id != right.identity_id:
        Person.objects.filter(identity_id=right.identity_id).update(
            identity_id=left.identity_id, updated_at=timezone.now()
        )
    return _decide(
        candidate,
        status=LinkCandidate.Status.LINKED,
        by=by,
        touched=touched,
        detail={"decision": "linked", "left": left.pk, "right": right.pk},
    )


@transaction.atomic
def candidate_keep_apart(*, candidate: LinkCandidate, by) -> LinkCandidate:
    """Keep the pair apart: if they were linked, the right row leaves with a new identity
    (taking its cases, nominations and payments with it). Later imports respect it."""
    candidate = _locked(
        candidate,
        unless=LinkCandidate.Status.APART,
        message=_("These two records are already kept apart."),
    )
    touched = _identity_ids_of(candidate.left, candidate.right)
    if candidate.left.identity_id == candidate.right.identity_id:
        touched |= _split_off(candidate.right)
    return _decide(
        candidate,
        status=LinkCandidate.Status.APART,
        by=by,
        touched=touched,
        detail={"decision": "apart", "left": candidate.left_id, "right": candidate.right_id},
    )


@transaction.atomic
def candidate_reopen(*, candidate: LinkCandidate, by) -> LinkCandidate:
    """Undo a decision: the pair waits for review again (a link is undone first)."""
    candidate = _locked(
        candidate,
        unless=LinkCandidate.Status.PENDING,
        message=_("This pair is already waiting for review."),
    )
    touched = _identity_ids_of(candidate.left, candidate.right)
    if candidate.status == LinkCandidate.Status.LINKED:
        touched |= _split_off(candidate.right)
    return _decide(
        candidate,
        status=LinkCandidate.Status.PENDING,
        by=by,
        touched=touched,
        detail={"decision": "reopened", "was": candidate.status},
    )


@transaction.atomic
def person_unlink(*, person: Person, by) -> Identity:
    """Take one row out of its identity into a new one of its own (its cases, nominations
    and payments go with it). Recorded as a kept-apart pair with the identity's primary row."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    identity = person.identity
    if identity is None or identity.rows.count() < 2:
        raise ValidationError(_("This record is not linked to any other record."))
    other = identity.rows.exclude(pk=person.pk).order_by("pk").first()
    anchor = identity.primary if identity.primary_id != person.pk else other
    touched = {identity.pk} | _split_off(person)
    pair = {"left_id": min(anchor.pk, person.pk), "right_id": max(anchor.pk, person.pk)}
    LinkCandidate.objects.update_or_create(
        **pair,
        defaults={
            "method": "manual",
            "probability": 0.0,
            "status": LinkCandidate.Status.APART,
            "decided_at": timezone.now(),
            "decided_by": by,
            "village_id": person.village_id,
        },
    )
    refresh_identities(touched)
    person.refresh_from_db()
    audit_record(
        action="update",
        actor=by,
        obj=person,
        detail={"unlinked_from_identity": identity.pk, "new_identity": person.identity_id},
    )
    _rescore(touched)
    return person.identity


def _split_off(person: Person) -> set[int]:
    old = person.identity_id
    new = Identity.objects.create(primary=person, in_registry=person.in_registry)
    Person.objects.filter(pk=person.pk).update(identity=new, updated_at=timezone.now())
    person.identity_id = new.pk
    return {old, new.pk} - {None}


def _rescore(identity_ids: set[int]) -> None:
    from pksai.vulnerability.services import score_identities

    ids = sorted(i for i in identity_ids if i)
    if ids:
        transaction.on_commit(lambda: score_identities(ids))
