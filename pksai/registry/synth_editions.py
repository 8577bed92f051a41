"""The next edition of a synthetic registry extract, with the true identity of every row, so
record linkage (linkage.py) can be measured. Nothing here describes a real person.

A registry is re-collected every year or two. Between two editions of the same people:

* **gone**: a share of the people is absent from the next edition (deaths, people leaving);
* **changed**: a share of the people changes, each change drawn independently (so a few
  people change in two ways): the whole household **moves** (another village of the same
  regency, a new household id, a new family card), one adult **moves alone** into a new
  one-person household elsewhere in the regency, the **name** is typed with a typo (a letter
  substituted, dropped, inserted or two swapped) or written another way ("Muhammad" as
  "Muh." or "M.", a "Hj." title for women of 40 and over, the second name dropped, the old
  spelling "oe" for "u", all capitals), the **NIK** goes missing or is typed with one wrong
  digit, or the
  **birth date** is typed wrong (day and month swapped, a day or a year off);
* **births**: children born since, in the households of women of 18–44 (head or spouse);
* **new**: people not in the previous edition at all (new households from ``synth_registry``
  with another seed; their NIKs and family cards do not collide with the previous edition's).

Person ids stay the household's positions (births take the next free one); a household that
moves gets a new household id, so ``(household_id, person_id)`` is unique within each edition.
The truth frame maps every row of both editions — ``(edition, household_id, person_id)`` —
to ``true_person`` (1..n for the rows of the previous edition in file order, then the births
and the new people). Vectorised like synth.py: one generator draws every number, Polars
builds the text; the same previous frame, seed and options give the same result.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import numpy as np
import polars as pl

from pksai.registry.codes import COLUMNS
from pksai.registry.synth import (
    FEMALE_FIRST,
    FEMALE_SECOND,
    MALE_FIRST,
    MALE_SECOND,
    STREETS,
    _date_key,
    synth_registry,
)

# Of the changed people, how often each kind of change happens (drawn independently).
CHANGE_SHARES = {
    "household_move": 0.25,
    "person_move": 0.10,
    "name_typo": 0.30,
    "name_variant": 0.15,
    "nik_missing": 0.12,
    "nik_typo": 0.10,
    "birth_date_typo": 0.08,
}
TYPO_LETTERS = "aeiouhkmnrst"
TRUTH_SCHEMA = {
    "edition": pl.Int8,
    "household_id": pl.String,
    "person_id": pl.String,
    "true_person": pl.Int64,
}


class NextEdition(NamedTuple):
    frame: pl.DataFrame  # the next edition, exchange-format columns as text
    truth: pl.DataFrame  # edition, household_id, person_id, true_person for both editions


def _share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, not {value}")


def _typo(name: pl.Expr, *, op: pl.Expr, pos: pl.Expr, letter: pl.Expr) -> pl.Expr:
    """One keyboard slip at ``pos`` (≥ 1: the first letter stays): 0 substitute, 1 drop,
    2 swap with the next letter, 3 insert."""
    head = name.str.slice(0, pos)
    return (
        pl.when(op == 0)
        .then(pl.concat_str(head, letter, name.str.slice(pos + 1)))
        .when(op == 1)
        .then(pl.concat_str(head, name.str.slice(pos + 1)))
        .when(op == 2)
        .then(
            pl.concat_str(
                head, name.str.slice(pos + 1, 1), name.str.slice(pos, 1), name.str.slice(pos + 2)
            )
        )
        .otherwise(pl.concat_str(head, letter, name.str.slice(pos)))
    )


def _variant(name: pl.Expr, *, pick: pl.Expr, sex: pl.Expr, age: pl.Expr) -> pl.Expr:
    """Another way of writing the same name; ``pick`` (0–3) chooses among those that apply."""
    muhammad = name.str.starts_with("Muhammad ")
    two_parts = name.str.contains(" ")
    return (
        pl.when(muhammad & (pick < 2))
        .then(
            name.str.replace(
                "^Muhammad", pl.when(pick == 0).then(pl.lit("Muh.")).otherwise(pl.lit("M."))
            )
        )
        .when((sex == "F") & (age >= 40) & (pick == 2))
        .then(pl.concat_str(pl.lit("Hj. "), name))
        .when(two_parts & (pick >= 2))
        .then(name.str.replace(r" .*$", ""))
        .when(name.str.contains("u"))
        .then(name.str.replace("u", "oe", literal=True))
        .otherwise(name.str.to_uppercase())
    )


def _district_digits(village: pl.Expr) -> pl.Expr:
    return village.str.replace_all(".", "", literal=True).str.slice(0, 6)


def _serial(offset: int, modulo: int) -> pl.Expr:
    """A 4-digit serial ``offset + row index mod modulo`` (a range the source never uses)."""
    return (pl.int_range(pl.len()) % modulo + offset).cast(pl.String).str.zfill(4)


def synth_next_edition(
    previous: pl.DataFrame,
    *,
    seed: int,
    today: date,
    changed: float = 0.10,
    gone: float = 0.05,
    new: float = 0.05,
    births: float = 0.02,
) -> NextEdition:
    """The next edition of ``previous`` (an extract as ``synth_registry`` writes it) and the
    truth for both. Shares are of the previous edition's people."""
    for name, value in (("changed", changed), ("gone", gone), ("new", new), ("births", births)):
        _share(name, value)
    if seed < 0:
        raise ValueError("seed must be zero or positive")
    missing = [c.name for c in COLUMNS if c.name not in previous.columns]
    if missing:
        raise ValueError(f"not a registry extract: no column {', '.join(missing)}")
    if previous.is_empty():
        raise ValueError("the previous edition has no rows")
    rng = np.random.default_rng(seed)
    columns = [c.name for c in COLUMNS]
    prev = previous.select(columns).with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("true_person")
    )
    n = prev.height
    villages = prev["village_code"].unique().sort()
    today_key = _date_key(pl.Series([today]))[0]

    # --- who stays --------------------------------------------------------------------
    stays = prev.filter(pl.Series(rng.random(n) >= gone))
    m = stays.height
    draws = {kind: rng.random(m) < changed * share for kind, share in CHANGE_SHARES.items()}

    # --- household moves: another village of the same regency, new id and family card ----
    hh = stays.select("household_id").unique(maintain_order=True)
    moving_hh = hh.filter(
        pl.Series(rng.random(hh.height) < changed * CHANGE_SHARES["household_move"])
    )
    regency_villages = villages.to_frame().with_columns(
        pl.col("village_code").str.slice(0, 5).alias("regency")
    )
    moves = (
        moving_hh.with_columns(
            pl.Series("u", rng.random(moving_hh.height)),
            pl.Series("street_idx", rng.integers(0, len(STREETS), moving_hh.height)),
            pl.Series("house_no", rng.integers(1, 151, moving_hh.height)),
        )
        .join(
            stays.select("household_id", "village_code").unique("household_id", keep="first"),
            on="household_id",
            maintain_order="left",
        )
        .with_columns(pl.col("village_code").str.slice(0, 5).alias("regency"))
        .join(
            regency_villages.group_by("regency").agg(pl.col("village_code").alias("choices")),
            on="regency",
            maintain_order="left",
        )
        .with_columns(
            pl.col("choices")
            .list.get((pl.col("u") * pl.col("choices").list.len()).cast(pl.Int64))
            .alias("new_village"),
            pl.concat_str(pl.lit(f"M{seed}-"), pl.col("household_id")).alias("new_household_id"),
        )
        .with_columns(
            pl.concat_str(
                _district_digits(pl.col("new_village")),
                pl.lit(f"{today_key:06d}"),
                _serial(7000, 3000),
            ).alias("new_kk"),
            pl.concat_str(
                pl.lit("Jl. "),
                pl.lit(pl.Series(list(STREETS))).gather(pl.col("street_idx")),
                pl.lit(" No. "),
                pl.col("house_no").cast(pl.String),
            ).alias("new_address"),
        )
        .select("household_id", "new_village", "new_household_id", "new_kk", "new_address")
    )
    frame = stays.join(moves, on="household_id", how="left", maintain_order="left").with_columns(
        pl.coalesce("new_village", "village_code").alias("village_code"),
        pl.coalesce("new_household_id", "household_id").alias("household_id"),
        pl.coalesce("new_kk", "kk_number").alias("kk_number"),
        pl.coalesce("new_address", "address").alias("address"),
    )
    frame = frame.drop("new_village", "new_household_id", "new_kk", "new_address")

    # --- people's own changes -----------------------------------------------------------
    age = (today.year - pl.col("birth_date").str.slice(0, 4).cast(pl.Int32)).alias("age")
    person_move = pl.Series(draws["person_move"])
    frame = frame.with_columns(
        age,
        pl.Series("op", rng.integers(0, 4, m)),
        pl.Series("pick", rng.integers(0, 4, m)),
        pl.Series("u_pos", rng.random(m)),
        pl.Series("letter", rng.integers(0, len(TYPO_LETTERS), m)),
        pl.Series("u_village", rng.random(m)),
        pl.Series("digit_pos", rng.integers(0, 16, m)),
        pl.Series("digit_add", rng.integers(1, 10, m)),
        pl.Series("date_kind", rng.integers(0, 3, m)),
        pl.Series("day_shift", rng.integers(1, 4, m)),
        **{f"__{kind}": pl.Series(flag) for kind, flag in draws.items()},
    )
    frame = frame.with_columns(
        pl.lit(TYPO_LETTERS).str.slice(pl.col("letter"), 1).alias("letter"),
        (1 + (pl.col("u_pos") * (pl.col("name").str.len_chars() - 1)).floor().cast(pl.Int64))
        .clip(1, None)
        .alias("pos"),
    )
    nik = pl.col("nik")
    digit = nik.str.slice(pl.col("digit_pos"), 1).cast(pl.Int64, strict=False)
    new_digit = ((digit + pl.col("digit_add")) % 10).cast(pl.String)
    text = pl.col("birth_date")
    year, month, day = (text.str.slice(i, w) for i, w in ((0, 4), (5, 2), (8, 2)))
    day_number = day.cast(pl.Int64)
    shifted_day = pl.when(day_number > 25).then(day_number - pl.col("day_shift"))
    shifted_day = shifted_day.otherwise(day_number + pl.col("day_shift"))
    date_typo = (
        pl.when((pl.col("date_kind") == 0) & (day_number <= 12) & (day != month))
        .then(pl.concat_str(year, day, month, separator="-"))  # day and month swapped
        .when(pl.col("date_kind") == 2)
        .then(
            pl.concat_str(
                (year.cast(pl.Int64) - 1).cast(pl.String),
                month,
                day_number.clip(None, 28).cast(pl.String).str.zfill(2),
                separator="-",
            )
        )
        .otherwise(
            pl.concat_str(year, month, shifted_day.cast(pl.String).str.zfill(2), separator="-")
        )
    )
    frame = frame.with_columns(
        pl.when("__name_typo")
        .then(_typo(pl.col("name"), op=pl.col("op"), pos=pl.col("pos"), letter=pl.col("letter")))
        .when("__name_variant")
        .then(_variant(pl.col("name"), pick=pl.col("pick"), sex=pl.col("sex"), age=pl.col("age")))
        .otherwise(pl.col("name"))
        .alias("name"),
        pl.when(pl.col("__nik_missing"))
        .then(pl.lit(""))
        .when(pl.col("__nik_typo") & (nik != ""))
        .then(
            pl.concat_str(
                nik.str.slice(0, pl.col("digit_pos")),
                new_digit,
                nik.str.slice(pl.col("digit_pos") + 1),
            )
        )
        .otherwise(nik)
        .alias("nik"),
        pl.when("__birth_date_typo")
        .then(date_typo)
        .otherwise(pl.col("birth_date"))
        .alias("birth_date"),
    )

    # --- one adult moves alone: a one-person household in another village ---------------
    alone = (
        person_move
        & pl.Series((frame["age"] >= 18).to_numpy())
        & ~pl.Series((frame["relationship"] == "head").to_numpy())
    )
    frame = frame.with_columns(alone.alias("__alone"))
    frame = frame.join(
        regency_villages.group_by("regency").agg(pl.col("village_code").alias("choices")),
        left_on=pl.col("village_code").str.slice(0, 5),
        right_on="regency",
        how="left",
        maintain_order="left",
    )
    alone_rank = pl.col("__alone").cast(pl.Int64).cum_sum()
    frame = frame.with_columns(
        pl.when("__alone")
        .then(
            pl.col("choices").list.get(
                (pl.col("u_village") * pl.col("choices").list.len()).cast(pl.Int64)
            )
        )
        .otherwise(pl.col("village_code"))
        .alias("village_code"),
        pl.when("__alone")
        .then(pl.concat_str(pl.lit(f"P{seed}-"), alone_rank.cast(pl.String).str.zfill(8)))
        .otherwise(pl.col("household_id"))
        .alias("household_id"),
        pl.when("__alone").then(pl.lit("1")).otherwise(pl.col("person_id")).alias("person_id"),
        pl.when("__alone")
        .then(pl.lit("head"))
        .otherwise(pl.col("relationship"))
        .alias("relationship"),
    ).with_columns(
        pl.when("__alone")
        .then(
            pl.concat_str(
                _district_digits(pl.col("village_code")),
                pl.lit(f"{today_key:06d}"),
                (alone_rank % 3000 + 7000).cast(pl.String).str.zfill(4),
            )
        )
        .otherwise(pl.col("kk_number"))
        .alias("kk_number"),
    )
    stayed = frame.select(*columns, "true_person")

    # --- births ---------------------------------------------------------------------------
    mothers = frame.filter(
        (pl.col("sex") == "F")
        & pl.col("relationship").is_in(["head", "spouse"])
        & pl.col("age").is_between(18, 44)
    )
    p_birth = min(1.0, births * n / max(mothers.height, 1))
    mothers = mothers.filter(pl.Series(rng.random(mothers.height) < p_birth))
    k = mothers.height
    male = rng.random(k) < 0.51
    first = np.where(
        male,
        rng.integers(0, len(MALE_FIRST), k),
        len(MALE_FIRST) + rng.integers(0, len(FEMALE_FIRST), k),
    )
    second = np.where(
        male,
        rng.integers(0, len(MALE_SECOND), k),
        len(MALE_SECOND) + rng.integers(0, len(FEMALE_SECOND), k),
    )
    has_second = rng.random(k) < 0.6
    born_days = rng.integers(0, 365, k)
    next_id = stayed.group_by("household_id").agg(
        pl.col("person_id").cast(pl.Int64).max().alias("last_id")
    )
    babies = (
        mothers.select(*columns)
        .join(next_id, on="household_id", how="left", maintain_order="left")
        .with_columns(
            pl.Series("male", male),
            pl.Series("first", list(MALE_FIRST + FEMALE_FIRST)).gather(first),
            pl.Series("second", list(MALE_SECOND + FEMALE_SECOND)).gather(second),
            pl.Series("has_second", has_second),
            (pl.lit(today) - pl.duration(days=pl.Series(born_days))).alias("born"),
            pl.Series("nik_missing", rng.random(k) < 0.5),
            pl.Series("certificate", rng.random(k) < 0.5),
        )
        .with_columns(
            (pl.col("last_id") + pl.int_range(1, pl.len() + 1).over("household_id"))
            .cast(pl.String)
            .alias("person_id"),
            pl.when("has_second")
            .then(pl.concat_str("first", pl.lit(" "), "second"))
            .otherwise(pl.col("first"))
            .alias("name"),
            pl.when("male").then(pl.lit("M")).otherwise(pl.lit("F")).alias("sex"),
            pl.col("born").dt.strftime("%Y-%m-%d").alias("birth_date"),
            pl.when("nik_missing")
            .then(pl.lit(""))
            .otherwise(
                pl.concat_str(
                    _district_digits(pl.col("village_code")),
                    (pl.col("born").dt.day() + pl.when("male").then(0).otherwise(40))
                    .cast(pl.String)
                    .str.zfill(2),
                    pl.col("born").dt.strftime("%m%y"),
                    _serial(9000, 1000),
                )
            )
            .alias("nik"),
            pl.lit("child").alias("relationship"),
            pl.lit("never").alias("school_participation"),
            pl.lit("none").alias("school_level"),
            pl.lit("none").alias("disability_type"),
            pl.lit("none").alias("disability_severity"),
            pl.lit("no").alias("chronic_illness"),
            pl.lit("not_working").alias("work_status"),
            pl.when("certificate")
            .then(pl.lit("yes"))
            .otherwise(pl.lit("no"))
            .alias("birth_certificate"),
            pl.lit("none").alias("orphanhood"),
            pl.lit("").alias("other_programs"),
            pl.int_range(n + 1, n + 1 + pl.len(), dtype=pl.Int64).alias("true_person"),
        )
        .select(*columns, "true_person")
    )

    # --- new people: new households in the same villages ------------------------------------
    households = round(new * n / 4.2)
    if households:
        newcomers = synth_registry(
            village_codes=villages.to_list(),
            households=households,
            seed=seed + 1_000_003,
            today=today,
        )
        first_new = n + 1 + babies.height
        newcomers = newcomers.with_columns(
            pl.concat_str(
                pl.lit(f"N{seed}-"), pl.col("household_id").str.replace(r"^S\d+-", "")
            ).alias("household_id"),
            pl.when(pl.col("nik") == "")
            .then(pl.col("nik"))
            .otherwise(
                pl.concat_str(
                    pl.col("nik").str.slice(0, 12),
                    (pl.col("nik").str.slice(12, 4).cast(pl.Int64) % 4000 + 5000).cast(pl.String),
                )
            )
            .alias("nik"),
            pl.when(pl.col("kk_number") == "")
            .then(pl.col("kk_number"))
            .otherwise(
                pl.concat_str(
                    pl.col("kk_number").str.slice(0, 12),
                    (pl.col("kk_number").str.slice(12, 4).cast(pl.Int64) % 2000 + 5000).cast(
                        pl.String
                    ),
                )
            )
            .alias("kk_number"),
            pl.int_range(first_new, first_new + pl.len(), dtype=pl.Int64).alias("true_person"),
        )
    else:
        newcomers = babies.clear()

    combined = pl.concat([stayed, babies, newcomers.select(*columns, "true_person")])
    truth = pl.concat(
        [
            prev.select(
                pl.lit(1, dtype=pl.Int8).alias("edition"),
                "household_id",
                "person_id",
                "true_person",
            ),
            combined.select(
                pl.lit(2, dtype=pl.Int8).alias("edition"),
                "household_id",
                "person_id",
                "true_person",
            ),
        ]
    )
    return NextEdition(frame=combined.select(columns), truth=truth)
