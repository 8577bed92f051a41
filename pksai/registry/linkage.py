"""Record linkage: which registry records are the same person, across sources and editions.

Pure: Polars frames in, Polars frames out, no Django models (the registry services store the
pairs, the review queue and the identities). Decision 0014 and docs/linkage.md explain the
choices; in short:

1. **Deterministic first.** The same *trusted* NIK links two records (probability 1): a NIK
   that is missing, duplicated within its extract, or disagrees with the birth date or sex
   is not trusted (``nik_trusted``). The same family card (KK) + normalised name + birth date
   links them too, unless both carry trusted NIKs that differ.
2. **Then probabilistic** (Fellegi–Sunter, by splink on DuckDB) for the records no rule linked:
   name, birth date, sex, village, NIK and family card/household are compared at several
   levels; candidate pairs come from blocking rules that keep a million × a million
   tractable. The model's m and u probabilities ship with the package
   (``data/linkage_model.json``, retrained by ``linkage_model_train``); the prior — how
   likely two records picked at random are the same person — follows the sizes of the run.
3. **Thresholds.** Pairs at or above ``upper`` are linked automatically; pairs between
   ``lower`` and ``upper`` go to a person for review; below ``lower`` nothing is returned.

Record ids are one namespace: ``clusters`` groups ids from both sides of ``link``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import duckdb
import polars as pl

UPPER = 0.99  # at or above: linked automatically (settings: PKSAI_LINK_UPPER)
LOWER = 0.80  # at or above, below UPPER: the review queue (settings: PKSAI_LINK_LOWER)
MODEL_PATH = Path(__file__).parent / "data" / "linkage_model.json"

# The prior: in ``link`` this share of the smaller side is expected to be in the other side;
# in ``dedupe`` this share of the records is expected to have a duplicate.
LINK_MATCH_SHARE = 0.5
DEDUPE_MATCH_SHARE = 0.01

# Data-quality flags (importer.quality_flags) that make a NIK untrustworthy. A NIK of
# another district is still trusted: people move, the NIK stays.
UNTRUSTED_NIK_FLAGS = ("nik_missing", "nik_duplicate", "nik_birthdate_mismatch", "nik_sex_mismatch")

RECORD_SCHEMA: dict[str, Any] = {
    "record_id": pl.Int64,
    "source": pl.String,
    "nik": pl.String,
    "kk_number": pl.String,
    "name": pl.String,
    "birth_date": pl.Date,
    "sex": pl.String,
    "village_code": pl.String,
    "household_key": pl.String,
}
OPTIONAL_COLUMNS = ("household_key",)
PAIR_SCHEMA: dict[str, Any] = {
    "record_id_l": pl.Int64,
    "record_id_r": pl.Int64,
    "method": pl.String,
    "match_probability": pl.Float64,
    "match_weight": pl.Float64,
}
CLUSTER_SCHEMA: dict[str, Any] = {"record_id": pl.Int64, "cluster_id": pl.Int64}

# Titles and honorifics dropped before names are compared (after a comma, degrees go too).
TITLES = (
    "h", "hj", "haji", "hajah", "hajjah", "dr", "drs", "dra", "ir", "prof", "kh", "ust",
    "ustadz", "ustazah", "bin", "binti", "bapak", "bpk", "ibu", "bu", "pak", "sdr", "sdri",
    "nn", "ny", "tn", "alm", "almh", "almarhum", "almarhumah",
)  # fmt: skip
# Abbreviations and spellings written out the same way.
NAME_FORMS = {
    "muh": "muhammad", "moh": "muhammad", "muhd": "muhammad", "mhd": "muhammad",
    "moch": "muhammad", "mochammad": "muhammad", "mohammad": "muhammad",
    "mohamad": "muhammad", "muhamad": "muhammad", "muhammat": "muhammad", "m": "muhammad",
    "abd": "abdul", "st": "siti", "nur": "nur", "nurul": "nurul",
}  # fmt: skip
# Old (pre-1972) spellings → today's: Soekarno, Djoko, Tjahjo, Sjamsul, Chairul.
OLD_SPELLINGS = (("oe", "u"), ("dj", "j"), ("tj", "c"), ("sj", "sy"), ("nj", "ny"), ("ch", "kh"))

log = logging.getLogger(__name__)


class LinkageInputError(ValueError):
    """The records cannot be linked: a column is missing or of the wrong kind."""


# --- input ---------------------------------------------------------------------------------


def nik_trusted(nik: str | pl.Expr = "nik", *, flags: str | pl.Expr = "dq_flags") -> pl.Expr:
    """The NIK where it can be trusted, else null: 16 digits and none of
    ``UNTRUSTED_NIK_FLAGS`` among the ``;``-separated data-quality flags."""
    nik = pl.col(nik) if isinstance(nik, str) else nik
    flags = pl.col(flags) if isinstance(flags, str) else flags
    flag_list = flags.fill_null("").str.split(";")
    bad = pl.any_horizontal(flag_list.list.contains(f) for f in UNTRUSTED_NIK_FLAGS)
    return pl.when(nik.str.contains(r"^\d{16}$") & ~bad).then(nik).otherwise(None)


def nik_consistent(
    nik: str = "nik", *, birth_date: str = "birth_date", sex: str = "sex"
) -> pl.Expr:
    """The NIK where it passes the importer's checks on this frame, else null — for frames
    that carry no data-quality flags: 16 digits, the birth date DDMMYY (day + 40 for women)
    and the sex agree, and no other row of the frame has the same NIK."""
    number = pl.col(nik)
    day = number.str.slice(6, 2).cast(pl.Int32, strict=False)
    female = day > 40
    encoded = pl.concat_str(
        pl.when(female).then(day - 40).otherwise(day).cast(pl.String).str.zfill(2),
        number.str.slice(8, 4),
    )
    good = (
        number.str.contains(r"^\d{16}$")
        & (encoded == pl.col(birth_date).dt.strftime("%d%m%y"))
        & (female == (pl.col(sex) == "F"))
        & (pl.len().over(number) == 1)
    )
    return pl.when(good.fill_null(False)).then(number).otherwise(None)


def records_from_extract(frame: pl.DataFrame, *, source: str, first_id: int = 1) -> pl.DataFrame:
    """Linkage records from an extract in the exchange format (e.g. ``synth_registry``): ids
    ``first_id``, ``first_id + 1``, ... in row order; the household id as household key;
    the NIK only where ``nik_consistent``."""
    blank_is_null = [
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c)
        for c in ("nik", "kk_number", "name", "sex", "village_code", "household_id")
    ]
    typed = frame.with_columns(blank_is_null).with_columns(
        pl.col("birth_date").str.to_date(strict=False)
    )
    return typed.select(
        pl.int_range(first_id, first_id + pl.len(), dtype=pl.Int64).alias("record_id"),
        pl.lit(source).alias("source"),
        nik_consistent().alias("nik"),
        "kk_number",
        "name",
        "birth_date",
        "sex",
        "village_code",
        pl.col("household_id").alias("household_key"),
    )


def _checked(records: pl.DataFrame, *, side: str) -> pl.DataFrame:
    missing = [c for c in RECORD_SCHEMA if c not in records.columns and c not in OPTIONAL_COLUMNS]
    if missing:
        raise LinkageInputError(f"{side}: missing column(s) {', '.join(missing)}")
    if "household_key" not in records.columns:
        records = records.with_columns(pl.lit(None, dtype=pl.String).alias("household_key"))
    wrong = [
        f"{c} is {records.schema[c]}, not {dtype}"
        for c, dtype in RECORD_SCHEMA.items()
        if records.schema[c] != dtype and records.schema[c] != pl.Null
    ]
    if wrong:
        raise LinkageInputError(f"{side}: {'; '.join(wrong)}")
    records = records.select(pl.col(c).cast(t) for c, t in RECORD_SCHEMA.items())
    if records["record_id"].null_count():
        raise LinkageInputError(f"{side}: record_id is empty in some rows")
    if records["record_id"].n_unique() != records.height:
        raise LinkageInputError(f"{side}: record_id is not unique")
    return records


def normalise_name(name: pl.Expr) -> pl.Expr:
    """Lower case, degrees after a comma dropped, old spellings modernised, punctuation to
    spaces, titles dropped, abbreviations written out, single spaces: "Hj. St. Aminah, S.Pd"
    → "siti aminah"; "Moh. Soekarno" → "muhammad sukarno"."""
    text = name.str.to_lowercase().str.replace(r",.*$", "").str.replace_all(r"['`’]", "")
    for old, new in OLD_SPELLINGS:
        text = text.str.replace_all(old, new, literal=True)
    tokens = text.str.replace_all(r"[^a-z]+", " ").str.strip_chars().str.split(" ")
    kept = tokens.list.eval(
        pl.element().filter((pl.element() != "") & ~pl.element().is_in(TITLES)).replace(NAME_FORMS)
    )
    joined = kept.list.join(" ")
    return pl.when(joined == "").then(None).otherwise(joined)


def _features(records: pl.DataFrame) -> pl.DataFrame:
    """The columns the rules and the model compare."""
    digits = pl.col("village_code").str.replace_all(".", "", literal=True)
    return (
        records.with_columns(
            normalise_name(pl.col("name")).alias("name_norm"),
            pl.col("kk_number").str.replace_all(r"\D", "").replace("", None).alias("kk_number"),
            pl.col("sex").str.to_uppercase().str.strip_chars().alias("sex"),
            digits.str.slice(0, 10).alias("village"),
            digits.str.slice(0, 6).alias("district"),
            digits.str.slice(0, 4).alias("regency"),
            pl.col("birth_date").dt.year().cast(pl.Int32).alias("birth_year"),
            pl.col("birth_date").dt.month().cast(pl.Int32).alias("birth_month"),
            pl.col("birth_date").dt.day().cast(pl.Int32).alias("birth_day"),
        )
        .with_columns(
            pl.col("name_norm").str.split(" ").alias("tokens"),
        )
        .with_columns(
            pl.col("tokens").list.first().alias("name_first"),
            pl.when(pl.col("tokens").list.len() > 1)
            .then(pl.col("tokens").list.last())
            .alias("name_last"),
            pl.col("tokens").list.sort().list.join(" ").alias("name_sorted"),
            pl.col("tokens").list.len().cast(pl.Int32).alias("name_tokens"),
        )
        .drop("tokens", "name")
    )


# --- deterministic rules ------------------------------------------------------------------


def _deterministic(left: pl.DataFrame, right: pl.DataFrame | None) -> pl.DataFrame:
    """Pairs by the two rules; ``right`` None means within ``left`` (ids ordered l < r)."""
    other = left if right is None else right
    by_nik = left.filter(pl.col("nik").is_not_null()).join(
        other.filter(pl.col("nik").is_not_null()), on="nik", suffix="_r"
    )
    key = ["kk_number", "name_norm", "birth_date"]
    by_kk = (
        left.drop_nulls(key)
        .join(other.drop_nulls(key), on=key, suffix="_r")
        .filter(
            pl.col("nik").is_null() | pl.col("nik_r").is_null() | (pl.col("nik") == pl.col("nik_r"))
        )
    )
    pairs = pl.concat(
        [
            by_nik.select("record_id", "record_id_r", pl.lit("nik").alias("method")),
            by_kk.select("record_id", "record_id_r", pl.lit("kk_name_dob").alias("method")),
        ]
    ).rename({"record_id": "record_id_l"})
    if right is None:
        pairs = pairs.filter(pl.col("record_id_l") < pl.col("record_id_r"))
    return (
        pairs.unique(["record_id_l", "record_id_r"], keep="first", maintain_order=True)
        .with_columns(
            pl.lit(1.0).alias("match_probability"),
            pl.lit(None, dtype=pl.Float64).alias("match_weight"),
        )
        .select(pl.col(c).cast(t) for c, t in PAIR_SCHEMA.items())
    )


# --- the probabilistic model ----------------------------------------------------------------


def _comparisons() -> list[Any]:
    """The comparisons, as splink creators (so the same model runs on DuckDB or Spark)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def same(column: str) -> str:
        return f"{column}_l = {column}_r"  # plain identifiers: the same SQL in every dialect

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="normalised name",
        comparison_levels=[
            cll.NullLevel("name_norm"),
            cll.ExactMatchLevel("name_norm"),
            cll.Or(
                cll.CustomLevel(same("name_sorted")), cll.JaroWinklerLevel("name_norm", 0.95)
            ).configure(label_for_charts="same words in another order, or a typo"),
            cll.And(
                cll.CustomLevel(same("name_first")),
                cll.CustomLevel("name_tokens_l = 1 OR name_tokens_r = 1"),
            ).configure(label_for_charts="one is a single name, the other's first name"),
            cll.JaroWinklerLevel("name_norm", 0.88),
            cll.Or(
                cll.CustomLevel(same("name_first")), cll.CustomLevel(same("name_last"))
            ).configure(label_for_charts="same first or last name"),
            cll.ElseLevel(),
        ],
    )
    y, m, d = "birth_year", "birth_month", "birth_day"
    one_field = (
        f"({same(y)} AND {same(m)}) OR ({same(y)} AND {same(d)}) OR ({same(m)} AND {same(d)})"
        f" OR ({same(y)} AND {m}_l = {d}_r AND {d}_l = {m}_r)"
    )
    birth = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_description="birth date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date"),
            cll.CustomLevel(one_field, label_for_charts="one field differs, or day/month swapped"),
            cll.CustomLevel(same(y), label_for_charts="same year"),
            cll.ElseLevel(),
        ],
    )
    sex = cl.CustomComparison(
        output_column_name="sex",
        comparison_levels=[cll.NullLevel("sex"), cll.ExactMatchLevel("sex"), cll.ElseLevel()],
    )
    place = cl.CustomComparison(
        output_column_name="village",
        comparison_description="village code",
        comparison_levels=[
            cll.NullLevel("village"),
            cll.ExactMatchLevel("village"),
            cll.CustomLevel(same("district"), label_for_charts="same district"),
            cll.CustomLevel(same("regency"), label_for_charts="same regency"),
            cll.ElseLevel(),
        ],
    )
    nik = cl.CustomComparison(
        output_column_name="nik",
        comparison_description="NIK (trusted ones only)",
        comparison_levels=[
            cll.NullLevel("nik"),
            cll.ExactMatchLevel("nik"),
            cll.LevenshteinLevel("nik", 2).configure(label_for_charts="typo: 1–2 digits"),
            cll.ElseLevel(),
        ],
    )
    family = cl.CustomComparison(
        output_column_name="family",
        comparison_description="family card or household",
        comparison_levels=[
            cll.And(cll.NullLevel("kk_number"), cll.NullLevel("household_key")).configure(
                is_null_level=True
            ),
            cll.Or(cll.CustomLevel(same("kk_number")), cll.CustomLevel(same("household_key"))),
            cll.ElseLevel(),
        ],
    )
    return [name, birth, sex, place, nik, family]


def _blocking_rules() -> list[Any]:
    """Which pairs are compared at all (a pair is compared once even if several rules hit).
    Each rule is an equi-join on columns with many values, so the candidate pairs grow with
    the records, not their square."""
    from splink import block_on

    return [
        block_on("birth_date", "district"),  # any name, nearby
        block_on("name_first", "birth_year", "district"),  # a day or month typed wrong
        block_on("name_norm", "birth_month", "birth_day"),  # the year typed wrong
        block_on("kk_number"),  # a family card: typos in both name and birth date
        block_on("household_key"),
        block_on("birth_date", "name_first"),  # moved to another regency
    ]


def _training_rules() -> list[Any]:
    from splink import block_on

    return [block_on("birth_date"), block_on("name_norm", "regency")]


def _settings(
    *, link_type: Literal["link_only", "dedupe_only"], prior: float, model: dict | None
) -> Any:
    """The splink settings; ``model`` (a saved model's dict) supplies m and u."""
    from splink import SettingsCreator

    comparisons = _comparisons()
    if model is not None:
        trained = {c["output_column_name"]: c["comparison_levels"] for c in model["comparisons"]}
        for comparison in comparisons:
            levels = trained.get(comparison.create_output_column_name())
            if levels is None:
                raise ValueError(
                    f"the model has no comparison {comparison.create_output_column_name()}"
                )
            creators = comparison.create_comparison_levels()
            if len(creators) != len(levels):
                raise ValueError(
                    f"the model's comparison {comparison.create_output_column_name()} has "
                    f"{len(levels)} levels, the code {len(creators)}: retrain it"
                )
            for creator, level in zip(creators, levels, strict=True):
                configured = {k: level[k] for k in ("m_probability", "u_probability") if k in level}
                if configured:
                    creator.configure(**configured)
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="record_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=_blocking_rules(),
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )


def load_model(path: Path | str = MODEL_PATH) -> dict:
    """A trained model (as ``linkage_model_train`` writes it)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def model_settings(
    *,
    dialect: str = "duckdb",
    link_type: Literal["link_only", "dedupe_only"] = "link_only",
    prior: float = 1e-6,
    model: dict | None = None,
) -> dict:
    """The settings dict of the shipped (or given) model for a splink backend: "duckdb" or
    "spark" — the same comparisons, blocking rules and trained m/u on either."""
    settings = _settings(link_type=link_type, prior=prior, model=model or load_model())
    return settings.get_settings(dialect).as_dict()


def _prior(n_left: int, n_right: int | None) -> float:
    if n_right is None:
        pairs = n_left * (n_left - 1) / 2
        expected = DEDUPE_MATCH_SHARE * n_left
    else:
        pairs = n_left * n_right
        expected = LINK_MATCH_SHARE * min(n_left, n_right)
    return min(max(expected / pairs, 1e-12), 0.5) if pairs else 0.5


_SPLINK_COLUMNS = [
    "record_id", "nik", "kk_number", "household_key", "name_norm", "name_first", "name_last",
    "name_sorted", "name_tokens", "birth_date", "birth_year", "birth_month", "birth_day", "sex",
    "village", "district", "regency",
]  # fmt: skip


def _linker(frames: Sequence[pl.DataFrame], settings: Any, *, con: duckdb.DuckDBPyConnection):
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(con)
    tables = [
        db_api.register(frame.select(_SPLINK_COLUMNS).to_arrow(), table_name=name)
        for frame, name in zip(frames, ("a_new", "b_existing"), strict=False)
    ]
    return Linker(tables if len(tables) > 1 else tables[0], settings, log_level=None)


def _probabilistic(
    left: pl.DataFrame,
    right: pl.DataFrame | None,
    *,
    lower: float,
    model: dict,
    threads: int | None,
) -> pl.DataFrame:
    empty = pl.DataFrame(schema=PAIR_SCHEMA)
    if left.height == 0 or (right is not None and right.height == 0):
        return empty
    if right is None and left.height < 2:
        return empty
    link_type = "dedupe_only" if right is None else "link_only"
    prior = _prior(left.height, None if right is None else right.height)
    settings = _settings(link_type=link_type, prior=prior, model=model)
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    try:
        linker = _linker([left] if right is None else [left, right], settings, con=con)
        predicted = linker.inference.predict(
            threshold_match_probability=lower, warning_mode="never"
        )
        table = predicted.physical_name
        columns = "record_id_l, record_id_r, match_probability, match_weight"
        if right is not None:
            columns += ", source_dataset_l"
        frame = con.sql(f"SELECT {columns} FROM {table}").pl()  # noqa: S608 (splink's table)
    finally:
        con.close()
    if right is not None:  # left is always the new side
        swap = pl.col("source_dataset_l") != "a_new"
        frame = frame.with_columns(
            pl.when(swap).then("record_id_r").otherwise("record_id_l").alias("record_id_l"),
            pl.when(swap).then("record_id_l").otherwise("record_id_r").alias("record_id_r"),
        )
    return frame.filter(pl.col("match_probability") >= lower).select(
        pl.col("record_id_l").cast(pl.Int64),
        pl.col("record_id_r").cast(pl.Int64),
        pl.lit("probabilistic").alias("method"),
        pl.col("match_probability").cast(pl.Float64),
        pl.col("match_weight").cast(pl.Float64),
    )


def _stages(
    left: pl.DataFrame, right: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    """The deterministic pairs, and the records of each side that no rule linked."""
    left = _features(_checked(left, side="new" if right is not None else "records"))
    right = None if right is None else _features(_checked(right, side="existing"))
    determined = _deterministic(left, right)
    linked_l = determined["record_id_l"]
    linked_r = determined["record_id_r"]
    if right is None:
        linked = pl.concat([linked_l, linked_r])
        return determined, left.filter(~pl.col("record_id").is_in(linked.implode())), None
    rest_l = left.filter(~pl.col("record_id").is_in(linked_l.implode()))
    rest_r = right.filter(~pl.col("record_id").is_in(linked_r.implode()))
    return determined, rest_l, rest_r


def _run(
    left: pl.DataFrame,
    right: pl.DataFrame | None,
    *,
    upper: float,
    lower: float,
    model: dict | None,
    threads: int | None,
) -> pl.DataFrame:
    if not 0.0 < lower <= upper <= 1.0:
        raise ValueError(f"thresholds must satisfy 0 < lower <= upper <= 1 ({lower}, {upper})")
    determined, rest_l, rest_r = _stages(left, right)
    scored = _probabilistic(
        rest_l, rest_r, lower=lower, model=model or load_model(), threads=threads
    )
    return pl.concat([determined, scored]).sort("record_id_l", "record_id_r")


def candidate_pairs_count(new: pl.DataFrame, existing: pl.DataFrame | None = None) -> int:
    """How many pairs the model would score for ``link(new, existing)`` (or ``dedupe(new)``):
    the blocking rules' pairs among the records no deterministic rule linked, counted
    exactly (for capacity planning and the benchmark)."""
    _, rest_l, rest_r = _stages(new, existing)
    if rest_l.is_empty() or (rest_r is not None and rest_r.is_empty()):
        return 0
    link_type = "dedupe_only" if rest_r is None else "link_only"
    settings = _settings(link_type=link_type, prior=0.5, model=None)
    con = duckdb.connect()
    try:
        linker = _linker([rest_l] if rest_r is None else [rest_l, rest_r], settings, con=con)
        counts = linker.blocking_analysis.count_comparisons_from_blocking_rules(
            record_sample_proportion=1.0
        )
    finally:
        con.close()
    return int(counts[-1]["cumulative_comparison_count"]) if counts else 0


def link(
    new: pl.DataFrame,
    existing: pl.DataFrame,
    *,
    upper: float = UPPER,
    lower: float = LOWER,
    model: dict | None = None,
    threads: int | None = None,
) -> pl.DataFrame:
    """Candidate pairs between ``new`` and ``existing`` records (``record_id_l`` new,
    ``record_id_r`` existing) with probability ≥ ``lower``: deterministic links first, then
    the model for the records on either side that no rule linked. Deterministic pairs have
    probability 1 and no weight. ``upper`` is checked against ``lower`` only; use it with
    ``clusters``."""
    return _run(new, existing, upper=upper, lower=lower, model=model, threads=threads)


def dedupe(
    records: pl.DataFrame,
    *,
    upper: float = UPPER,
    lower: float = LOWER,
    model: dict | None = None,
    threads: int | None = None,
) -> pl.DataFrame:
    """Candidate pairs within ``records`` (``record_id_l`` < ``record_id_r``), as ``link``."""
    return _run(records, None, upper=upper, lower=lower, model=model, threads=threads)


# --- clusters -------------------------------------------------------------------------------


def clusters(pairs: pl.DataFrame, upper: float = UPPER) -> pl.DataFrame:
    """Connected components of the pairs with probability ≥ ``upper``: every record in such a
    pair with ``cluster_id`` = the smallest record id of its component. Label propagation
    with pointer jumping, a join per round (rounds grow with the log of the longest chain)."""
    edges = pairs.filter(pl.col("match_probability") >= upper).select(
        pl.col("record_id_l").alias("a"), pl.col("record_id_r").alias("b")
    )
    if edges.is_empty():
        return pl.DataFrame(schema=CLUSTER_SCHEMA)
    edges = pl.concat([edges, edges.select(a="b", b="a")]).unique()
    label = (
        edges.group_by("a")
        .agg(pl.min_horizontal(pl.col("b").min(), pl.col("a").first()).alias("label"))
        .rename({"a": "record_id"})
    )
    while True:
        # A node takes the smallest label among its neighbours' ...
        spread = (
            edges.join(label, left_on="b", right_on="record_id")
            .group_by("a")
            .agg(pl.col("label").min().alias("spread"))
        )
        # ... and then its label's label (pointer jumping).
        step = (
            label.join(spread, left_on="record_id", right_on="a")
            .with_columns(pl.min_horizontal("label", "spread").alias("label"))
            .drop("spread")
        )
        step = step.join(
            step.rename({"record_id": "label", "label": "jump"}), on="label", how="left"
        ).select(
            "record_id",
            pl.min_horizontal("label", pl.col("jump").fill_null(pl.col("label"))).alias("label"),
        )
        if step.sort("record_id").equals(label.sort("record_id")):
            break
        label = step
    return label.select(
        pl.col("record_id").cast(pl.Int64), pl.col("label").cast(pl.Int64).alias("cluster_id")
    ).sort("record_id")


# --- training -------------------------------------------------------------------------------


def linkage_model_train(
    new: pl.DataFrame,
    existing: pl.DataFrame | None = None,
    *,
    seed: int = 1,
    max_pairs: float = 5e6,
    out: Path | str | None = None,
) -> dict:
    """Train the model: u by random sampling of pairs, m by expectation maximisation on
    blocked pairs (two sessions, each leaving out the comparison it blocks on). Returns the
    model dict and writes it to ``out`` when given (``MODEL_PATH`` to replace the shipped
    one). Records as for ``link`` (or ``dedupe`` when ``existing`` is None); no labels."""
    left = _features(_checked(new, side="new"))
    right = None if existing is None else _features(_checked(existing, side="existing"))
    link_type = "dedupe_only" if right is None else "link_only"
    settings = _settings(
        link_type=link_type,
        prior=_prior(left.height, None if right is None else right.height),
        model=None,
    )
    con = duckdb.connect()
    try:
        linker = _linker([left] if right is None else [left, right], settings, con=con)
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        for rule in _training_rules():
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        model = linker.misc.save_model_to_json()
    finally:
        con.close()
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            for key in ("m_probability", "u_probability"):
                value = level.get(key)
                if value is not None and (math.isnan(value) or value <= 0):
                    level[key] = 1e-6  # a level never seen: tiny, not zero (log of 0)
    if out is not None:
        Path(out).write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    return model
