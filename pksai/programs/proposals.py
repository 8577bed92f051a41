"""LKSA proposals: a partner institution proposes registry people (children, usually) for a
program with a list — CSV or XLSX, one row per person (docs/proposal-format.md).

Every row is checked at once with Polars (identity by NIK or registry person id, the name
against the registry, the user's area scope, the profile codes, repeats in the file); each
rejected cell is reported with its row, column, value and reason, and the good rows are kept:
new nominations are created in bulk (source "partner", the partner set), people already
nominated for the program and year get their profile updated. Re-importing the same file
changes nothing. No database call per row.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pksai.accounts.models import Organisation, User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.audit.services import audit_record
from pksai.core.crypto import nik_hashes_any_key
from pksai.programs.models import Nomination, Program
from pksai.programs.services import NOMINATE, nominations_flag
from pksai.registry.codes import FALSE_WORDS, TRUE_WORDS
from pksai.registry.importer import ERROR_SCHEMA, ROW, ExtractError
from pksai.registry.models import Person
from pksai.registry.tabular import ImportCounts, read_table

# The file's columns (docs/proposal-format.md).
BOOLEANS = ["assistive_device_needed", "bedridden", "fixed_income", "in_institution"]
PROFILE = ["dependency", *BOOLEANS, "notes"]
COLUMNS = ["nik", "person_id", "name", *PROFILE]
NOTES_MAX = 2000
BATCH = 1000  # rows per bulk statement / per IN list


class ProposalResult(ImportCounts):
    """The counts and the rejected cells (row, column, value, reason) of a proposal list."""


def _read(path: str | Path) -> tuple[pl.DataFrame, list[str]]:
    """The file as text columns (headers normalised) plus the row number; blank lines
    dropped. Raises ExtractError when it cannot be used at all."""
    frame, _name = read_table(path)
    missing = [] if "name" in frame.columns else ["name"]
    if "nik" not in frame.columns and "person_id" not in frame.columns:
        missing.append("nik / person_id")
    if missing:
        raise ExtractError(
            _("required columns missing from the file: %(columns)s")
            % {"columns": ", ".join(missing)}
        )
    present = [c for c in COLUMNS if c in frame.columns]
    frame = frame.select(
        ROW,
        *[pl.col(c).cast(pl.String).str.strip_chars() for c in present],
        *[pl.lit(None, dtype=pl.String).alias(c) for c in COLUMNS if c not in present],
    ).with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in COLUMNS)
    frame = frame.filter(~pl.all_horizontal(pl.col(c).is_null() for c in COLUMNS))
    return frame, present


def _digits(expr: pl.Expr) -> pl.Expr:
    """A number as typed or as a spreadsheet stored it ('7371… ', '7371….0') → its text."""
    return expr.str.replace(r"\.0+$", "").str.replace_all(r"\s", "")


def _name_key(expr: pl.Expr) -> pl.Expr:
    """Names compared without case, punctuation or extra spaces ('Muh. Rizky' = 'MUH RIZKY')."""
    return (
        expr.str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}\s]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def _first_failing(checks: list[tuple[pl.Expr, str | pl.Expr]]) -> pl.Expr:
    """The reason of the first check that fails (null: the cell is fine)."""
    expr = pl.lit(None, dtype=pl.String)
    for failed, why in reversed(checks):
        reason = why if isinstance(why, pl.Expr) else pl.lit(why)
        expr = pl.when(failed.fill_null(False)).then(reason).otherwise(expr)
    return expr


def _cell_errors(frame: pl.DataFrame, column: str | pl.Expr, reason: pl.Expr) -> pl.DataFrame:
    """Rows where ``reason`` is set, as (row, column, value, reason); ``column`` may be an
    expression naming the column row by row."""
    name = pl.lit(column) if isinstance(column, str) else column
    value = pl.col(column) if isinstance(column, str) else _value_of(column)
    return (
        frame.select(
            pl.col(ROW).alias("row"),
            name.alias("column"),
            value.alias("value"),
            reason.alias("reason"),
        )
        .filter(pl.col("reason").is_not_null())
        .cast(ERROR_SCHEMA)
    )


def _value_of(column: pl.Expr) -> pl.Expr:
    return pl.when(column == "nik").then(pl.col("nik")).otherwise(pl.col("person_id"))


def _in_scope(code: pl.Expr, user: User) -> pl.Expr:
    scope = scope_for(user)
    if scope.national:
        return pl.lit(True)
    covered = pl.lit(False)
    for prefix in scope.area_codes:
        covered = covered | (code == prefix) | code.str.starts_with(prefix + ".")
    return covered


def _chunks(values: list, size: int = BATCH):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _registry(*, niks: list[str], ids: list[int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The registry people the file names: by NIK (with how many people share it) and by id."""
    schema = {"key": pl.String, "pid": pl.Int64, "reg_name": pl.String, "village": pl.String}
    id_schema = {**schema, "key": pl.Int64, "nik": pl.String}
    by_nik = pl.DataFrame(
        [
            row
            for chunk in _chunks(niks)
            # by the NIK's keyed hash (decision 0024); the NIK read back opened
            for row in Person.objects.filter(
                nik_hash__in=[h for nik in chunk for h in nik_hashes_any_key(nik)]
            ).values_list("nik", "pk", "name", "village_id")
        ],
        schema=schema,
        orient="row",
    )
    by_nik = (
        by_nik.group_by("key")
        .agg(pl.len().alias("people"), pl.all().sort_by("pid").first())
        .select("key", "pid", "reg_name", "village", "people")
    )
    by_id = pl.DataFrame(
        [
            (pk, pk, name, village, nik)
            for chunk in _chunks(ids)
            for pk, name, village, nik in Person.objects.filter(pk__in=chunk).values_list(
                "pk", "name", "village_id", "nik"
            )
        ],
        schema=id_schema,
        orient="row",
    )
    return by_nik, by_id


def validate_proposals(frame: pl.DataFrame, *, user: User) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The good rows (person id, village, typed profile) and the errors (row, column, value,
    reason). Two registry queries, whatever the number of rows."""
    frame = frame.with_columns(
        _digits(pl.col("nik")).alias("__nik"),
        _digits(pl.col("person_id")).alias("__id"),
        pl.col("dependency").str.to_lowercase().alias("__dependency"),
        *[pl.col(c).str.to_lowercase().alias(f"__{c}") for c in BOOLEANS],
    ).with_columns(
        (pl.col("__nik").str.contains(r"^\d{16}$")).alias("__nik_ok"),
        (pl.col("__id").str.contains(r"^\d{1,18}$")).alias("__id_ok"),
        pl.col("__id").cast(pl.Int64, strict=False).alias("__id_int"),
    )
    niks = frame.filter(pl.col("__nik_ok"))["__nik"].unique().to_list()
    ids = frame.filter(pl.col("__id_ok"))["__id_int"].drop_nulls().unique().to_list()
    by_nik, by_id = _registry(niks=niks, ids=ids)
    frame = (
        frame.join(
            by_nik.rename(lambda c: f"__n_{c}"), left_on="__nik", right_on="__n_key", how="left"
        )
        .join(
            by_id.rename(lambda c: f"__i_{c}"), left_on="__id_int", right_on="__i_key", how="left"
        )
        .with_columns(
            # the registry person id when given (the NIK must then be theirs), else the NIK
            pl.when(pl.col("person_id").is_not_null())
            .then(pl.lit("person_id"))
            .otherwise(pl.lit("nik"))
            .alias("__key"),
        )
        .with_columns(
            pl.when(pl.col("__key") == "nik")
            .then(pl.col("__n_pid"))
            .otherwise(pl.col("__i_pid"))
            .alias("__pid"),
            pl.when(pl.col("__key") == "nik")
            .then(pl.col("__n_reg_name"))
            .otherwise(pl.col("__i_reg_name"))
            .alias("__reg_name"),
            pl.when(pl.col("__key") == "nik")
            .then(pl.col("__n_village"))
            .otherwise(pl.col("__i_village"))
            .alias("__village"),
        )
        .sort(ROW)
    )
    by_id_only = pl.col("__key") == "person_id"
    disagree = (
        by_id_only
        & pl.col("nik").is_not_null()
        & pl.col("__i_pid").is_not_null()
        & pl.col("__i_nik").ne_missing(pl.col("__nik"))
    )
    identified = (
        pl.col("__pid").is_not_null()
        & (by_id_only | (pl.col("__n_people").fill_null(1) == 1))
        & ~disagree.fill_null(False)
    )
    in_scope = _in_scope(pl.col("__village"), user)
    allowed = ", ".join(Nomination.Dependency.values)
    errors = [
        _cell_errors(
            frame,
            "nik",
            _first_failing(
                [
                    (
                        pl.col("nik").is_null() & pl.col("person_id").is_null(),
                        _("give the NIK or the registry person_id"),
                    ),
                    (
                        pl.col("nik").is_not_null() & ~pl.col("__nik_ok"),
                        _("malformed NIK (16 digits)"),
                    ),
                    (pl.col("nik").is_not_null() & pl.col("__n_pid").is_null(), _("unknown NIK")),
                    (
                        ~by_id_only & (pl.col("__n_people") > 1),
                        _("several registry people have this NIK: give the person_id too"),
                    ),
                    (disagree, _("not the NIK of the registry person_id")),
                ]
            ),
        ),
        _cell_errors(
            frame,
            "person_id",
            _first_failing(
                [
                    (
                        pl.col("person_id").is_not_null() & ~pl.col("__id_ok"),
                        _("malformed person_id (a whole number)"),
                    ),
                    (
                        pl.col("person_id").is_not_null() & pl.col("__i_pid").is_null(),
                        _("unknown person_id"),
                    ),
                ]
            ),
        ),
        _cell_errors(
            frame,
            pl.col("__key"),
            _first_failing([(identified & ~in_scope, _("person outside your area scope"))]),
        ),
        _cell_errors(
            frame,
            "name",
            _first_failing(
                [
                    (pl.col("name").is_null(), _("missing name")),
                    (
                        identified
                        & in_scope
                        & (_name_key(pl.col("name")) != _name_key(pl.col("__reg_name"))),
                        _("name does not match the registry"),
                    ),
                ]
            ),
        ),
        _cell_errors(
            frame,
            "dependency",
            _first_failing(
                [
                    (
                        pl.col("dependency").is_not_null()
                        & ~pl.col("__dependency").is_in(Nomination.Dependency.values),
                        _("unknown dependency code (allowed: %(codes)s)") % {"codes": allowed},
                    )
                ]
            ),
        ),
        *[
            _cell_errors(
                frame,
                column,
                _first_failing(
                    [
                        (
                            pl.col(column).is_not_null()
                            & ~pl.col(f"__{column}").is_in([*TRUE_WORDS, *FALSE_WORDS]),
                            _("expected yes or no"),
                        )
                    ]
                ),
            )
            for column in BOOLEANS
        ],
        _cell_errors(
            frame,
            "notes",
            _first_failing(
                [
                    (
                        pl.col("notes").str.len_chars() > NOTES_MAX,
                        _("longer than %(n)d characters") % {"n": NOTES_MAX},
                    )
                ]
            ),
        ),
    ]
    # The same person twice: the first row stays, later ones are rejected.
    first = pl.col(ROW).min().over("__pid")
    before, _sep, after = _("duplicate of row %(row)s").partition("%(row)s")
    duplicates = _cell_errors(
        frame.filter(identified),
        pl.col("__key"),
        pl.when(pl.col(ROW) != first).then(
            pl.concat_str(pl.lit(before), first.cast(pl.String), pl.lit(after))
        ),
    )
    errors_frame = (
        pl.concat([*errors, duplicates], how="vertical")
        .unique(maintain_order=True)
        .sort("row", "column", maintain_order=True)
    )
    word = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
    good = frame.join(
        errors_frame.select(pl.col("row").alias(ROW)).unique(), on=ROW, how="anti"
    ).select(
        ROW,
        pl.col("__pid").alias("person_id"),
        pl.col("__village").alias("village"),
        pl.col("__dependency").alias("dependency"),
        *[
            pl.col(f"__{c}").replace_strict(word, default=None, return_dtype=pl.Boolean).alias(c)
            for c in BOOLEANS
        ],
        pl.col("notes"),
    )
    return good, errors_frame


def proposals_import(
    *, by: User, program: Program, year: int, partner: Organisation, path: str | Path
) -> ProposalResult:
    """Import an LKSA's proposal list for ``program`` and ``year``: reject bad rows with their
    reasons, nominate the good ones (or update the profile of people already nominated), then
    flag the affected nominations. Raises ExtractError if the file cannot be read at all
    (nothing imported), ValidationError for a program or partner that cannot propose."""
    require_perm(by, NOMINATE)
    if program.parent_id is not None:
        raise ValidationError(_("Nominate for the program; the sub-program is chosen later."))
    if partner.kind != Organisation.Kind.LKSA:
        raise ValidationError(_("Proposals come from a partner institution (LKSA)."))
    if not partner.is_active:
        raise ValidationError(_("%(partner)s is not active.") % {"partner": partner})
    frame, present = _read(path)
    good, errors = validate_proposals(frame, user=by)
    given = [c for c in PROFILE if c in present]
    plan = _plan(good, program=program, year=year, partner=partner, given=given)
    with transaction.atomic():
        created_ids, updated_ids = _write(plan, program=program, year=year, partner=partner, by=by)
        affected = created_ids + updated_ids
        if affected:
            nominations_flag(program=program, year=year, ids=affected)
        result = ProposalResult(
            rows_read=frame.height,
            accepted=good.height,
            created=len(created_ids),
            updated=len(updated_ids),
            unchanged=good.height - len(created_ids) - len(updated_ids),
            errors=errors,
        )
        audit_record(
            action="create",
            actor=by,
            object_type="programs.nomination",
            object_repr=_("Proposals of %(partner)s (%(file)s)")
            % {"partner": partner, "file": Path(path).name},
            detail={
                "program": program.code,
                "year": year,
                "partner": partner.pk,
                "file": Path(path).name,
                **result.summary(),
            },
        )
    return result


def _plan(
    good: pl.DataFrame, *, program: Program, year: int, partner: Organisation, given: list[str]
) -> pl.DataFrame:
    """Each good row with what to do: 'create', 'update' or 'unchanged'. A blank cell, or a
    column the file does not have, keeps the stored value."""
    stored = pl.DataFrame(
        [
            row
            for chunk in _chunks(good["person_id"].to_list())
            for row in Nomination.objects.filter(
                program=program, year=year, person_id__in=chunk
            ).values_list("person_id", "pk", "version", "partner_id", *PROFILE)
        ],
        schema={
            "person_id": pl.Int64,
            "nomination_id": pl.Int64,
            "version": pl.Int64,
            "partner_id": pl.Int64,
            "dependency": pl.String,
            **dict.fromkeys(BOOLEANS, pl.Boolean),
            "notes": pl.String,
        },
        orient="row",
    )
    joined = good.join(stored, on="person_id", how="left", suffix="__stored")
    new_values = [
        (
            pl.coalesce(pl.col(c), pl.col(f"{c}__stored")) if c in given else pl.col(f"{c}__stored")
        ).alias(c)
        for c in PROFILE
    ]
    joined = joined.with_columns(
        *new_values,
        pl.coalesce(pl.col("partner_id"), pl.lit(partner.pk, dtype=pl.Int64)).alias("new_partner"),
    )
    # created rows take the file's values (blank → the model's empty value)
    joined = joined.with_columns(
        pl.when(pl.col("nomination_id").is_null())
        .then(pl.lit("create"))
        .when(
            pl.any_horizontal(
                *[pl.col(c).ne_missing(pl.col(f"{c}__stored")) for c in PROFILE],
                pl.col("new_partner").ne_missing(pl.col("partner_id")),
            )
        )
        .then(pl.lit("update"))
        .otherwise(pl.lit("unchanged"))
        .alias("status")
    )
    return joined.with_columns(
        pl.when(pl.col("status") == "create")
        .then(pl.col(c).fill_null(""))
        .otherwise(pl.col(c))
        .alias(c)
        for c in ("dependency", "notes")
    )


def _write(
    plan: pl.DataFrame, *, program: Program, year: int, partner: Organisation, by: User
) -> tuple[list[int], list[int]]:
    """Bulk writes: new nominations, then the changed profiles. Returns both id lists."""
    rows = plan.filter(pl.col("status") == "create").to_dicts()
    new = [
        Nomination(
            program=program,
            year=year,
            person_id=r["person_id"],
            area_id=r["village"],
            source=Nomination.Source.PARTNER,
            partner=partner,
            created_by=by,
            **{c: r[c] if r[c] is not None else "" for c in ("dependency", "notes")},
            **{c: r[c] for c in BOOLEANS},
        )
        for r in rows
    ]
    Nomination.objects.bulk_create(new, batch_size=BATCH)
    created_ids = [n.pk for n in new]
    if any(pk is None for pk in created_ids):  # a backend that returns no keys
        created_ids = list(
            Nomination.objects.filter(
                program=program, year=year, person_id__in=[r["person_id"] for r in rows]
            ).values_list("pk", flat=True)
        )
    changed = [
        Nomination(
            pk=r["nomination_id"],
            partner_id=r["new_partner"],
            version=r["version"] + 1,
            **{c: r[c] if r[c] is not None else "" for c in ("dependency", "notes")},
            **{c: r[c] for c in BOOLEANS},
        )
        for r in plan.filter(pl.col("status") == "update").to_dicts()
    ]
    if changed:
        Nomination.objects.bulk_update(changed, [*PROFILE, "partner", "version"], batch_size=BATCH)
    return created_ids, [n.pk for n in changed]
