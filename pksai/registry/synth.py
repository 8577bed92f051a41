"""A synthetic social-registry extract in the exchange format (docs/registry-format.md), for
tests, the demo and benchmarks. Nothing here describes a real person.

Vectorised: one ``np.random.default_rng(seed)`` draws every number for all households or all
people at once, and Polars builds the text columns; there is no Python loop over rows or
households. The same seed, villages, household count and ``today`` give the same frame.

The numbers are plausible for the poorest 40 % of Indonesian households, not calibrated:

* **Households**: size 1–9 (mean ≈ 4.2); spread evenly over the given villages. Welfare decile
  1–4 for 93 % (the registry's bottom 40 %), a few 5–7. A hidden wealth score (decile, city
  vs. regency, household noise) drives the housing, asset and consumption columns, so poorer
  households more often have earth floors, bamboo walls, unprotected water, no toilet, wood
  fuel, fewer meals (mostly 2–3, some 1), fewer protein days (0–7, skewed low) and clothes
  (1–10). Cities (regency code ≥ 71) have more piped water and gas, less land. Addresses are
  "Jl. … No. …, RT/RW" in cities and mostly "Dusun …" elsewhere. Family card numbers are
  district + issue date + serial; 2 % are missing.
* **Members**: a head (20–75, older when living alone, 28+ in households of five or more),
  a spouse of the other sex (18+) in 80 % of households of two or more, then children (born
  when their mother was 17 or older, skewed young), and now and then a parent or
  parent-in-law (heads up to 60), a child-in-law or grandchild (heads 45+) or another
  relative. Members are ordered head, spouse, children oldest first, then the others. Heads
  of couples are mostly men, single heads mostly women, other members ~50/50: about half of
  all people are women and 40–45 % are under 18.
* **Names**: a first name by sex from a short list, then either the household's family name
  (30 % of households) or, for 40 % of people, a second name.
* **School**: by age band: under 5 never; 5–6 attending 45 %; 7–12 attending 93 %; 13–15
  attending 84 %, dropped out 13 %; 16–17 attending 62 %; 18–24 attending 12 %; adults
  completed / dropped out / never, with less schooling for older people. The level follows
  the age (sd to 12, smp 13–15, sma 16–18, higher 19+, some pupils a year behind); children
  who dropped out stop at or below their age's level.
* **Health**: disability for 1.5 % of children, 2.5 % of adults, 10 % of people 60+ (≈ 2.5 %
  overall) with a type and severity; chronic illness 2 % of children rising to 35 % at 60+.
* **Work**: children under 10 are at school or not working; 10–17 work in ≈ 3 % of cases
  (1 % of pupils, 14 % of those out of school — child labour); adults by sex and age; pupils
  and students are "school".
* **Documents**: birth certificate missing for 10–28 % of children (poorer deciles more),
  35 % of adults, 60 % of the elderly; 2 % unknown. Orphanhood is recorded for children only
  (empty for adults): grandchildren and other relatives 8 %, children of single heads 12 %
  (father dead when the head is a woman, mother when a man), else none — about 3 % of
  children in all.
* **NIK**: district of the village (first 6 digits) + birth date DDMMYY (day + 40 for women)
  + a 4-digit serial counting up per district and birth date (so NIKs are unique). To
  exercise the data-quality flags, ≈ 3 % are empty (7 % of children under 5, 2 % of others)
  and ≈ 1 % carry another district number of the same regency (people move).
* **Other programmes**: PKH, BPNT, KIS and BLT per household (more likely in poorer deciles,
  PKH needs a child or an elderly member), PIP for pupils (mostly in PKH households), PKSA
  for orphans and disabled children, JSLU for some elderly and JSPACA for some people with a
  moderate or severe disability.

Every column is text as a CSV would hold it: "yes"/"no"/"" for booleans, YYYY-MM-DD dates,
dotted village codes, codes from codes.py and "" for unknown.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import numpy as np
import polars as pl
from django.db.models import Q

from pksai.areas.codes import normalise_area_code
from pksai.areas.models import Area
from pksai.registry.codes import COLUMN_BY_NAME, COLUMNS

MALE_FIRST = (
    "Ahmad", "Muhammad", "Budi", "Agus", "Andi", "Arif", "Bambang", "Dedi", "Eko", "Fajar",
    "Hendra", "Irfan", "Joko", "Rahmat", "Rizki", "Sutrisno", "Slamet", "Wahyu", "Yusuf",
    "Hasan", "Ilham", "Syamsul", "Baso", "Haerul", "Aswar", "Ridwan", "Sudirman", "Teguh",
    "Darmawan", "Aldi", "Fahri", "Dimas", "Bayu", "Gilang", "Rudi", "Taufik", "Ardi", "Hamzah",
    "Sugeng", "Nurdin",
)  # fmt: skip
FEMALE_FIRST = (
    "Siti", "Sri", "Nur", "Dewi", "Rina", "Ratna", "Wati", "Sulastri", "Suryani", "Fitri",
    "Ayu", "Indah", "Lestari", "Nurhayati", "Rahmawati", "Kartini", "Aisyah", "Fatimah",
    "Hasna", "Salmah", "Haslinda", "Murni", "Yuliana", "Putri", "Anisa", "Dian", "Rosmini",
    "Sumiati", "Winarni", "Jumiati", "Nabila", "Zahra", "Ani", "Mega", "Sari", "Ningsih",
    "Hartini", "Sukmawati", "Rosita", "Halimah",
)  # fmt: skip
MALE_SECOND = (
    "Saputra", "Pratama", "Wijaya", "Setiawan", "Hidayat", "Kurniawan", "Nugroho", "Santoso",
    "Hasanuddin", "Rahman", "Syahrir", "Gunawan", "Susanto", "Purnomo", "Ramli", "Basri",
)  # fmt: skip
FEMALE_SECOND = (
    "Lestari", "Rahayu", "Wulandari", "Handayani", "Puspitasari", "Anggraini", "Safitri",
    "Ramadhani", "Permatasari", "Kusuma", "Sulistyowati", "Hasanah", "Maharani", "Utami",
)  # fmt: skip
FAMILY = (
    "Siregar", "Nasution", "Lubis", "Sembiring", "Tambunan", "Mappa", "Latif", "Pattiasina",
    "Manurung", "Sitompul", "Daeng Ngalle", "Karaeng", "Wibowo", "Utomo", "Harahap", "Ginting",
)  # fmt: skip
STREETS = (
    "Merdeka", "Sudirman", "Diponegoro", "Ahmad Yani", "Pahlawan", "Veteran", "Cendrawasih",
    "Kenanga", "Melati", "Mawar", "Anggrek", "Flamboyan", "Pattimura", "Kartini",
    "Gatot Subroto", "Hasanuddin", "Sultan Alauddin", "Perintis", "Masjid", "Pasar",
)  # fmt: skip
HAMLETS = (
    "Krajan", "Sidomulyo", "Sukamaju", "Kampung Baru", "Bontoa", "Mattoanging", "Tanjung",
    "Karanganyar", "Ngemplak", "Sumbersari", "Bontomanai", "Kalimas",
)  # fmt: skip

SIZES = np.arange(1, 10)
SIZE_P = (0.07, 0.12, 0.18, 0.22, 0.18, 0.11, 0.06, 0.04, 0.02)
DECILE_P = (0.30, 0.27, 0.22, 0.14, 0.04, 0.02, 0.01)  # deciles 1..7

# Relationship codes in household order (rank = position in this tuple).
ROLES = ("head", "spouse", "child", "child_in_law", "grandchild", "parent", "parent_in_law")
ROLES += ("other_family", "other")
HEAD, SPOUSE, CHILD, CHILD_IN_LAW, GRANDCHILD, PARENT, PARENT_IN_LAW, OTHER_FAMILY, OTHER = range(9)
ROLE_RANK = np.array([0, 1, 2, 4, 5, 3, 3, 6, 7])  # parents before grandchildren

# School participation by age band: never, attending, dropped_out, completed.
SCHOOL_BANDS = np.array([5, 7, 13, 16, 18, 25, 40, 60])  # band i = ages below SCHOOL_BANDS[i]
SCHOOL_P = np.array(
    [
        [1.00, 0.00, 0.00, 0.00],  # 0–4
        [0.55, 0.45, 0.00, 0.00],  # 5–6
        [0.03, 0.93, 0.04, 0.00],  # 7–12
        [0.03, 0.84, 0.13, 0.00],  # 13–15
        [0.04, 0.62, 0.34, 0.00],  # 16–17
        [0.04, 0.12, 0.16, 0.68],  # 18–24
        [0.05, 0.01, 0.16, 0.78],  # 25–39
        [0.12, 0.00, 0.18, 0.70],  # 40–59
        [0.30, 0.00, 0.20, 0.50],  # 60+
    ]
)
NEVER, ATTENDING, DROPPED_OUT, COMPLETED = range(4)
# Adult attainment (sd, smp, sma, higher) for ages < 40, 40–59, 60+.
ATTAINMENT_P = np.array(
    [[0.32, 0.30, 0.32, 0.06], [0.50, 0.26, 0.21, 0.03], [0.70, 0.17, 0.11, 0.02]]
)

# Work status (not_working, working, looking, school, housekeeping) by group, see _work_group.
WORK_P = np.array(
    [
        [1.00, 0.00, 0.00, 0.00, 0.00],  # 0: under 10, not at school
        [0.00, 0.00, 0.00, 1.00, 0.00],  # 1: under 10, at school
        [0.00, 0.01, 0.00, 0.99, 0.00],  # 2: 10–17 at school
        [0.57, 0.14, 0.07, 0.00, 0.22],  # 3: 10–17 out of school
        [0.07, 0.80, 0.08, 0.00, 0.05],  # 4: men 18–59
        [0.10, 0.40, 0.05, 0.00, 0.45],  # 5: women 18–59
        [0.45, 0.45, 0.02, 0.00, 0.08],  # 6: men 60+
        [0.45, 0.20, 0.00, 0.00, 0.35],  # 7: women 60+
        [0.00, 0.12, 0.00, 0.88, 0.00],  # 8: adults at school
    ]
)
DISABILITY_P = np.array([0.015, 0.025, 0.10])  # under 18, 18–59, 60+
DISABILITY_TYPE_P = np.array([0.35, 0.15, 0.12, 0.08, 0.12, 0.10, 0.08])  # physical..multiple
SEVERITY_P = np.array([0.45, 0.35, 0.20])  # mild, moderate, severe
CHRONIC_BANDS = np.array([18, 40, 60])
CHRONIC_P = np.array([0.02, 0.05, 0.15, 0.35])
MEALS_P = np.array(  # 1, 2, 3, 4 meals by decile group 1, 2, 3–4, 5+
    [[0.10, 0.45, 0.44, 0.01], [0.06, 0.40, 0.53, 0.01], [0.03, 0.32, 0.63, 0.02]]
    + [[0.01, 0.20, 0.75, 0.04]]
)
NO_CERTIFICATE_CHILD_P = np.array([0.28, 0.22, 0.17, 0.12, 0.10, 0.10, 0.10])  # by decile


def _pick(rng: np.random.Generator, *, probs: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Row i draws a category index from the distribution ``probs[group[i]]``."""
    cumulative = np.cumsum(probs, axis=1)
    cumulative[:, -1] = 1.0
    u = rng.random(group.shape[0])
    return (u[:, None] >= cumulative[group]).sum(axis=1)


def _ordered(score: np.ndarray, *, cuts: tuple[float, ...]) -> np.ndarray:
    """Category index of a score given ascending cut points (0 = lowest)."""
    return np.searchsorted(np.asarray(cuts), score)


def _text(values: tuple[str, ...], index: np.ndarray) -> pl.Series:
    """The strings ``values[index]`` as a Polars column."""
    return pl.Series(values=list(values), dtype=pl.String).gather(index)


def _codes(column: str, index: np.ndarray) -> pl.Series:
    return _text(COLUMN_BY_NAME[column].codes, index)


def _yes_no(flag: np.ndarray, *, unknown: np.ndarray | None = None) -> pl.Series:
    index = flag.astype(np.int64)
    if unknown is not None:
        index = np.where(unknown, 2, index)
    return _text(("no", "yes", ""), index)


def _with_serial(key: np.ndarray, *, missing: np.ndarray) -> pl.Series:
    """16-digit numbers: the 12-digit ``key`` + a 4-digit serial counting 1, 2, ... among the
    rows sharing the key (in row order), so they are unique; "" where ``missing``."""
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    position = np.arange(key.shape[0])
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    rank = position - np.maximum.accumulate(np.where(first, position, 0))
    serial = np.empty_like(position)
    serial[order] = rank + 1
    number = pl.Series(key * 10_000 + serial % 10_000).cast(pl.String).str.zfill(16)
    return number.zip_with(pl.Series(~missing), pl.Series([""] * key.shape[0]))


def _date_key(dates: pl.Series, *, day_offset: np.ndarray | int = 0) -> np.ndarray:
    """DDMMYY as a number (day + ``day_offset``)."""
    day = dates.dt.day().to_numpy().astype(np.int64) + day_offset
    month = dates.dt.month().to_numpy().astype(np.int64)
    return day * 10_000 + month * 100 + dates.dt.year().to_numpy().astype(np.int64) % 100


class _Households(NamedTuple):
    frame: pl.DataFrame  # one row per household: the household columns (and helpers)
    size: np.ndarray
    decile: np.ndarray
    district: np.ndarray  # 6-digit district number of the village


def _households(
    rng: np.random.Generator, *, village_codes: list[str], households: int, seed: int, today: date
) -> _Households:
    """Draw the households and build their columns."""
    n = households
    villages = pl.Series("village_code", sorted(set(village_codes)), dtype=pl.String)
    village_idx = rng.integers(0, len(villages), n)
    digits = villages.str.replace_all(".", "", literal=True)
    district = digits.str.slice(0, 6).cast(pl.Int64).to_numpy()[village_idx]
    # Kemendagri numbers cities (kota) 71 and up within their province.
    is_city = (digits.str.slice(2, 2).cast(pl.Int64) >= 71).to_numpy()
    city = is_city[village_idx]
    size = rng.choice(SIZES, size=n, p=SIZE_P)
    decile = rng.choice(np.arange(1, 8), size=n, p=DECILE_P)
    wealth = (decile - 2.5) / 1.2 + 0.4 * city + rng.normal(0.0, 0.6, n)

    def score() -> np.ndarray:
        return wealth + rng.normal(0.0, 0.7, n)

    def with_other(index: np.ndarray, other: int, share: float = 0.01) -> np.ndarray:
        return np.where(rng.random(n) < share, other, index)

    # floor: earth, bamboo_wood, cement, tile_ceramic, (other)
    floor = with_other(_ordered(score(), cuts=(-1.3, -0.8, 0.9)), 4)
    # wall: bamboo_thatch, wood, brick_unplastered, brick_plastered, (other)
    wall = with_other(_ordered(score(), cuts=(-1.4, -0.6, 0.2)), 4)
    # roof: thatch_leaves, zinc_asbestos, tile, concrete, (other)
    roof = with_other(_ordered(score(), cuts=(-1.8, 0.3, 2.2)), 4)
    # water: river_rain, unprotected_well_spring, protected_well, piped, bottled
    water_order = np.array([3, 2, 1, 0, 4])
    water = water_order[_ordered(score() + 0.6 * city, cuts=(-1.9, -0.9, 0.4, 1.4))]
    # toilet: none, public, shared, private
    toilet_order = np.array([3, 2, 1, 0])
    toilet = toilet_order[_ordered(score(), cuts=(-1.5, -1.1, -0.5))]
    # lighting: none, non_pln, pln_unmetered, pln_metered
    lighting_order = np.array([3, 2, 1, 0])
    lighting = lighting_order[_ordered(score(), cuts=(-2.8, -2.0, -0.7))]
    # cooking: wood_charcoal, kerosene, electricity_gas (and "none" for 0.5 %)
    cooking_order = np.array([2, 1, 0])
    cooking = cooking_order[_ordered(score() + 0.8 * city, cuts=(-0.8, -0.6))]
    cooking = np.where(rng.random(n) < 0.005, 3, cooking)

    asset = score()
    meals_group = np.minimum(decile, 4) - 1  # 1, 2, 3–4 (3 and 4 share a row), 5+
    meals_group = np.where(decile == 4, 2, meals_group)
    meals_group = np.where(decile >= 5, 3, meals_group)
    meals = _pick(rng, probs=MEALS_P, group=meals_group) + 1
    protein = rng.binomial(7, np.minimum(0.18 + 0.06 * (decile - 1), 0.6))
    clothes = np.minimum(1 + rng.poisson(1.5 + 0.6 * decile), 10)
    sleeping = rng.random(n) < np.minimum(0.75 + 0.05 * decile, 0.97)
    health = rng.random(n) < np.minimum(0.82 + 0.03 * decile, 0.97)

    issued = rng.integers(0, 15 * 365, n)  # family card issued in the last 15 years
    kk_missing = rng.random(n) < 0.02
    street = rng.integers(0, len(STREETS), n)
    hamlet = rng.integers(0, len(HAMLETS), n)
    house_no = rng.integers(1, 151, n)
    rt = rng.integers(1, 13, n)
    rw = rng.integers(1, 9, n)
    use_street = rng.random(n) < np.where(city, 0.9, 0.4)

    issued_on = pl.Series(np.datetime64(today, "D") - issued.astype("timedelta64[D]"))
    frame = pl.DataFrame(
        {
            "household_id": pl.int_range(1, n + 1, eager=True),
            "kk_number": _with_serial(
                district * 1_000_000 + _date_key(issued_on), missing=kk_missing
            ),
            "village_code": villages.gather(village_idx),
            "street": _text(STREETS, street),
            "hamlet": _text(HAMLETS, hamlet),
            "house_no": house_no,
            "rt": rt,
            "rw": rw,
            "use_street": use_street,
            "welfare_decile": decile,
            "floor_type": _codes("floor_type", floor),
            "wall_type": _codes("wall_type", wall),
            "roof_type": _codes("roof_type", roof),
            "water_source": _codes("water_source", water),
            "toilet": _codes("toilet", toilet),
            "lighting": _codes("lighting", lighting),
            "cooking_fuel": _codes("cooking_fuel", cooking),
            "has_refrigerator": _yes_no(asset > 0.7),
            "has_motorcycle": _yes_no(asset + 1.6 > 0.8 * city),
            "has_car": _yes_no(asset > 3.3),
            "has_land": _yes_no(rng.random(n) < np.where(city, 0.12, 0.5)),
            "meals_per_day": meals,
            "protein_days_per_week": protein,
            "clothes_pairs": clothes,
            "proper_sleeping_place": _yes_no(sleeping),
            "health_access": _yes_no(health),
        }
    )
    rt_rw = pl.concat_str(
        pl.lit(", RT "),
        pl.col("rt").cast(pl.String).str.zfill(3),
        pl.lit("/RW "),
        pl.col("rw").cast(pl.String).str.zfill(3),
    )
    frame = frame.with_columns(
        pl.concat_str(
            pl.lit(f"S{seed}-"), pl.col("household_id").cast(pl.String).str.zfill(8)
        ).alias("household_id"),
        pl.when(pl.col("use_street"))
        .then(
            pl.concat_str(
                pl.lit("Jl. "), "street", pl.lit(" No. "), pl.col("house_no").cast(pl.String), rt_rw
            )
        )
        .otherwise(pl.concat_str(pl.lit("Dusun "), "hamlet", rt_rw))
        .alias("address"),
        pl.col("welfare_decile", "meals_per_day", "protein_days_per_week", "clothes_pairs").cast(
            pl.String
        ),
    )
    return _Households(frame=frame, size=size, decile=decile, district=district)


def synth_registry(
    *, village_codes: list[str], households: int, seed: int, today: date
) -> pl.DataFrame:
    """A synthetic extract: one row per person, every exchange-format column as text."""
    if households < 1:
        raise ValueError("households must be at least 1")
    if seed < 0:
        raise ValueError("seed must be zero or positive")
    if not village_codes:
        raise ValueError("at least one village code is needed")
    dotted = [normalise_area_code(c) for c in village_codes]  # a loop over villages, not rows
    bad = [
        raw
        for raw, code in zip(village_codes, dotted, strict=True)
        if not code or code.count(".") != 3
    ]
    if bad:
        raise ValueError(f"not village codes: {', '.join(bad[:5])}")
    rng = np.random.default_rng(seed)
    hh = _households(
        rng, village_codes=[c for c in dotted if c], households=households, seed=seed, today=today
    )
    size, decile = hh.size, hh.decile

    # --- people: household index, position and role -------------------------------------
    n = int(size.sum())
    hh_idx = np.repeat(np.arange(households), size)
    starts = np.cumsum(size) - size
    pos = np.arange(n) - starts[hh_idx]
    has_spouse_hh = (size >= 2) & (rng.random(households) < 0.8)
    head_age_hh = np.rint(rng.normal(44.0 + 14.0 * (size == 1), 12.0)).astype(np.int64)
    head_age_hh = np.clip(head_age_hh, np.where(size >= 5, 28, 20), 75)
    spouse_age_hh = np.clip(head_age_hh + np.rint(rng.normal(-3.0, 4.0, households)), 18, 85)
    spouse_age_hh = spouse_age_hh.astype(np.int64)
    head_male_hh = rng.random(households) < np.where(has_spouse_hh, 0.92, 0.35)

    head_age = head_age_hh[hh_idx]
    has_spouse = has_spouse_hh[hh_idx]
    head_male = head_male_hh[hh_idx]
    r = rng.random(n)
    role = np.full(n, CHILD)
    role = np.where(r < 0.12, OTHER_FAMILY, role)
    role = np.where(r < 0.10, np.where(head_age >= 45, GRANDCHILD, CHILD), role)
    role = np.where(r < 0.06, np.where(head_age >= 45, CHILD_IN_LAW, CHILD), role)
    role = np.where(r < 0.04, np.where(head_age <= 60, PARENT_IN_LAW, CHILD), role)
    role = np.where(r < 0.025, np.where(head_age <= 60, PARENT, CHILD), role)
    role = np.where(r < 0.003, OTHER, role)
    role = np.where((pos == 1) & has_spouse, SPOUSE, role)
    role = np.where(pos == 0, HEAD, role)

    # --- ages ---------------------------------------------------------------------------
    mother_age = np.where(head_male & has_spouse, spouse_age_hh[hh_idx], head_age)
    u = rng.random(n)
    oldest_child = np.clip(mother_age - 17, 0, 40)
    child_age = np.floor(u**1.3 * (oldest_child + 1)).astype(np.int64)
    age = np.select(
        [
            role == HEAD,
            role == SPOUSE,
            role == CHILD,
            role == CHILD_IN_LAW,
            role == GRANDCHILD,
            (role == PARENT) | (role == PARENT_IN_LAW),
        ],
        [
            head_age,
            spouse_age_hh[hh_idx],
            child_age,
            20 + np.floor(u * np.maximum(head_age - 40, 1)).astype(np.int64),
            np.floor(u**1.2 * 12).astype(np.int64),
            np.minimum(head_age + 20 + np.floor(u * 16).astype(np.int64), 95),
        ],
        default=np.floor(u * 70).astype(np.int64),
    )
    male = np.select(
        [role == HEAD, role == SPOUSE, (role == PARENT) | (role == PARENT_IN_LAW)],
        [head_male, ~head_male, rng.random(n) < 0.3],
        default=rng.random(n) < 0.51,
    )

    # Order each household: head, spouse, children oldest first, then the others.
    order = np.lexsort((-age, ROLE_RANK[role], hh_idx))
    role, age, male = role[order], age[order], male[order]
    hh_decile = decile[hh_idx]
    minor = age < 18

    # --- school -------------------------------------------------------------------------
    participation = _pick(rng, probs=SCHOOL_P, group=np.searchsorted(SCHOOL_BANDS, age, "right"))
    expected = 1 + (age >= 13) + (age >= 16) + (age >= 19)  # sd, smp, sma, higher
    behind = (age < 19) & (rng.random(n) < np.where(participation == ATTENDING, 0.1, 0.5))
    child_level = np.maximum(expected - behind, 1)
    attainment_group = np.searchsorted(np.array([40, 60]), age, "right")
    adult_level = _pick(rng, probs=ATTAINMENT_P, group=attainment_group) + 1
    adult_level = np.where(age < 22, np.minimum(adult_level, 3), adult_level)
    level = np.select(
        [
            participation == NEVER,
            participation == ATTENDING,
            (participation == DROPPED_OUT) & (age < 19),
        ],
        [0, child_level, child_level],
        default=adult_level,
    )
    attending = participation == ATTENDING

    # --- health -------------------------------------------------------------------------
    disability_group = np.searchsorted(np.array([18, 60]), age, "right")
    disabled = rng.random(n) < DISABILITY_P[disability_group]
    disability = np.where(
        disabled, _pick(rng, probs=DISABILITY_TYPE_P[None, :], group=np.zeros(n, int)) + 1, 0
    )
    severity = np.where(
        disabled, _pick(rng, probs=SEVERITY_P[None, :], group=np.zeros(n, int)) + 1, 0
    )
    chronic = rng.random(n) < CHRONIC_P[np.searchsorted(CHRONIC_BANDS, age, "right")]

    # --- work ---------------------------------------------------------------------------
    work_group = np.select(
        [
            age < 10,
            age < 18,
            attending,
            age < 60,
        ],
        [
            attending.astype(np.int64),
            np.where(attending, 2, 3),
            8,
            np.where(male, 4, 5),
        ],
        default=np.where(male, 6, 7),
    )
    work = _pick(rng, probs=WORK_P, group=work_group)

    # --- documents and family situation ---------------------------------------------------
    no_certificate_p = np.where(
        minor, NO_CERTIFICATE_CHILD_P[hh_decile - 1], np.where(age < 60, 0.35, 0.6)
    )
    certificate = rng.random(n) >= no_certificate_p
    certificate_unknown = rng.random(n) < 0.02
    spouse_here = has_spouse[order]
    head_is_male = head_male[order]
    orphan_p = np.select(
        [(role == GRANDCHILD) | (role == OTHER_FAMILY), (role == CHILD) & ~spouse_here],
        [0.08, 0.12],
        default=0.0,
    )
    orphan = minor & (rng.random(n) < orphan_p)
    orphan_kind = np.where(
        role == CHILD,
        np.where(head_is_male, 2, 1),  # the missing parent died: mother / father
        _pick(rng, probs=np.array([[0.45, 0.25, 0.30]]), group=np.zeros(n, int)) + 1,
    )
    orphanhood = np.where(minor, np.where(orphan, orphan_kind, 0), 4)  # 4 → "" for adults

    # --- other programmes -----------------------------------------------------------------
    needy = np.bincount(hh_idx, weights=(minor | (age >= 60)), minlength=households) > 0
    d = np.minimum(decile, 5) - 1
    pkh_hh = needy & (rng.random(households) < np.array([0.45, 0.35, 0.25, 0.15, 0.05])[d])
    bpnt_hh = rng.random(households) < np.array([0.55, 0.45, 0.35, 0.2, 0.05])[d]
    kis_hh = rng.random(households) < np.where(decile <= 4, 0.7, 0.3)
    blt_hh = rng.random(households) < 0.10
    pkh = pkh_hh[hh_idx]
    programmes = {
        "pkh": pkh,
        "bpnt": bpnt_hh[hh_idx],
        "pip": attending & (age >= 6) & (age <= 21) & (rng.random(n) < np.where(pkh, 0.6, 0.15)),
        "kis": kis_hh[hh_idx],
        "blt": blt_hh[hh_idx],
        "pksa": minor & (rng.random(n) < np.where(orphan | disabled, 0.2, 0.003)),
        "jslu": (age >= 60) & (rng.random(n) < 0.05),
        "jspaca": (severity >= 2) & (rng.random(n) < 0.1),
    }

    # --- birth date, NIK, name -------------------------------------------------------------
    # Born ``days_back`` days before the last birthday, so the age today is exactly ``age``.
    days_back = rng.integers(0, 365, n)
    anniversary_day = 28 if (today.month, today.day) == (2, 29) else today.day
    birth = pl.DataFrame({"year": today.year - age, "back": days_back}).select(
        (pl.date("year", today.month, anniversary_day) - pl.duration(days="back")).alias("birth")
    )["birth"]
    region = hh.district[hh_idx]
    wrong_region = rng.random(n) < 0.01  # another district of the same regency
    shifted = (region % 100 - 1 + rng.integers(1, 99, n)) % 99 + 1
    region = np.where(wrong_region, region - region % 100 + shifted, region)
    nik_missing = rng.random(n) < np.where(age < 5, 0.07, 0.02)
    nik_key = region * 1_000_000 + _date_key(birth, day_offset=np.where(male, 0, 40))

    first = np.where(
        male,
        rng.integers(0, len(MALE_FIRST), n),
        len(MALE_FIRST) + rng.integers(0, len(FEMALE_FIRST), n),
    )
    # Last part: "" (none), the household's family name, or a second name by sex.
    family_hh = np.where(
        rng.random(households) < 0.3, 1 + rng.integers(0, len(FAMILY), households), 0
    )
    second = (
        1
        + len(FAMILY)
        + np.where(
            male,
            rng.integers(0, len(MALE_SECOND), n),
            len(MALE_SECOND) + rng.integers(0, len(FEMALE_SECOND), n),
        )
    )
    last = np.where(family_hh[hh_idx] > 0, family_hh[hh_idx], 0)
    last = np.where((last == 0) & (rng.random(n) < 0.4), second, last)

    people = pl.DataFrame(
        {
            "person_id": pl.Series(pos + 1).cast(pl.String),
            "nik": _with_serial(nik_key, missing=nik_missing),
            "first": _text(MALE_FIRST + FEMALE_FIRST, first),
            "last": _text(("", *FAMILY, *MALE_SECOND, *FEMALE_SECOND), last),
            "sex": _text(("F", "M"), male.astype(np.int64)),
            "birth_date": birth.dt.strftime("%Y-%m-%d"),
            "relationship": _codes("relationship", role),
            "school_participation": _codes("school_participation", participation),
            "school_level": _codes("school_level", level),
            "disability_type": _codes("disability_type", disability),
            "disability_severity": _codes("disability_severity", severity),
            "chronic_illness": _yes_no(chronic),
            "work_status": _codes("work_status", work),
            "birth_certificate": _yes_no(certificate, unknown=certificate_unknown),
            "orphanhood": _text((*COLUMN_BY_NAME["orphanhood"].codes, ""), orphanhood),
            **{f"__p_{code}": flag for code, flag in programmes.items()},
        }
    )
    name = (
        pl.when(pl.col("last") == "")
        .then(pl.col("first"))
        .otherwise(pl.concat_str("first", "last", separator=" "))
    )
    programme_list = pl.concat_str(
        [pl.when(pl.col(f"__p_{code}")).then(pl.lit(code)) for code in programmes],
        separator=";",
        ignore_nulls=True,
    ).fill_null("")
    people = pl.concat([hh.frame[hh_idx], people], how="horizontal").with_columns(
        name.alias("name"), programme_list.alias("other_programs")
    )
    return people.select([c.name for c in COLUMNS])


def synth_registry_for_regencies(
    *, regencies: list[str], households: int, seed: int, today: date
) -> pl.DataFrame:
    """``synth_registry`` over every loaded village of the given regencies (7371 or 73.71)."""
    codes: list[str] = []
    for raw in regencies:
        code = normalise_area_code(raw)
        if code is None or code.count(".") != 1:
            raise ValueError(f"{raw!r} is not a regency code (e.g. 7371 or 73.71)")
        codes.append(code)
    if not codes:
        raise ValueError("no regency given")
    prefixes = Q()
    for code in codes:
        prefixes |= Q(code__startswith=f"{code}.")
    villages = sorted(
        Area.objects.filter(prefixes, level=Area.Level.VILLAGE).values_list("code", flat=True)
    )
    found = {v[:5] for v in villages}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValueError(
            f"no villages loaded for regency {', '.join(missing)} "
            "(load the area list first: pksai load-areas)"
        )
    return synth_registry(village_codes=villages, households=households, seed=seed, today=today)
