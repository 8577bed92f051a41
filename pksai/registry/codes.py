"""The exchange format's columns and code lists (docs/registry-format.md is generated from the
same facts; a test keeps them in step). Every categorical column has a closed code list."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | code | bool | int | date | nik | kk | village | codes
    required: bool = False
    level: str = "person"  # household | person
    codes: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    description: str = ""
    max_length: int | None = None  # characters, as the model field holds (text kinds)
    extra: dict = field(default_factory=dict)


YES_NO = ("yes", "no")

COLUMNS: tuple[Column, ...] = (
    # --- household (repeated on every member's row) ---
    Column(
        "household_id",
        "text",
        True,
        "household",
        description="Household id in the source registry (e.g. BDT IDBDT).",
        max_length=50,
    ),
    Column("kk_number", "kk", level="household", description="Family card number (16 digits)."),
    Column(
        "village_code",
        "village",
        True,
        "household",
        description="Kemendagri village code, 10 digits, dots optional (73.71.01.1001).",
    ),
    Column(
        "address",
        "text",
        level="household",
        description="Street, RT/RW, hamlet.",
        max_length=300,
    ),
    Column(
        "welfare_decile",
        "int",
        level="household",
        min_value=1,
        max_value=10,
        description="Welfare decile in the national registry (1 = poorest).",
    ),
    Column(
        "floor_type",
        "code",
        level="household",
        codes=("earth", "bamboo_wood", "cement", "tile_ceramic", "other"),
    ),
    Column(
        "wall_type",
        "code",
        level="household",
        codes=("bamboo_thatch", "wood", "brick_unplastered", "brick_plastered", "other"),
    ),
    Column(
        "roof_type",
        "code",
        level="household",
        codes=("thatch_leaves", "zinc_asbestos", "tile", "concrete", "other"),
    ),
    Column(
        "water_source",
        "code",
        level="household",
        codes=("piped", "protected_well", "unprotected_well_spring", "river_rain", "bottled"),
    ),
    Column("toilet", "code", level="household", codes=("private", "shared", "public", "none")),
    Column(
        "lighting",
        "code",
        level="household",
        codes=("pln_metered", "pln_unmetered", "non_pln", "none"),
    ),
    Column(
        "cooking_fuel",
        "code",
        level="household",
        codes=("electricity_gas", "kerosene", "wood_charcoal", "none"),
    ),
    Column("has_refrigerator", "bool", level="household"),
    Column("has_motorcycle", "bool", level="household"),
    Column("has_car", "bool", level="household"),
    Column("has_land", "bool", level="household"),
    Column(
        "meals_per_day",
        "int",
        level="household",
        min_value=0,
        max_value=6,
        description="Meals a day (PMT: fewer than 2 is a deprivation).",
    ),
    Column(
        "protein_days_per_week",
        "int",
        level="household",
        min_value=0,
        max_value=7,
        description="Days a week with meat, fish or egg.",
    ),
    Column(
        "clothes_pairs",
        "int",
        level="household",
        min_value=0,
        max_value=99,
        description="Pairs of clothes per member.",
    ),
    Column("proper_sleeping_place", "bool", level="household"),
    Column(
        "health_access",
        "bool",
        level="household",
        description="Can get health treatment when needed.",
    ),
    # --- person ---
    Column(
        "person_id",
        "text",
        True,
        description="Member id within the household in the source.",
        max_length=50,
    ),
    Column(
        "nik",
        "nik",
        description="National id number, 16 digits. Missing or inconsistent NIKs are flagged, not rejected; a malformed one is rejected.",
    ),
    Column("name", "text", True, max_length=200),
    Column("sex", "code", True, codes=("M", "F")),
    Column(
        "birth_date",
        "date",
        True,
        description="YYYY-MM-DD (or the mapping's date_format, or an Excel date cell); "
        "not in the future, not before 1900-01-01, age at most 120 at the import date.",
    ),
    Column(
        "relationship",
        "code",
        True,
        codes=(
            "head",
            "spouse",
            "child",
            "child_in_law",
            "grandchild",
            "parent",
            "parent_in_law",
            "other_family",
            "other",
        ),
    ),
    Column(
        "school_participation", "code", codes=("never", "attending", "dropped_out", "completed")
    ),
    Column("school_level", "code", codes=("none", "sd", "smp", "sma", "higher")),
    Column(
        "disability_type",
        "code",
        codes=(
            "none",
            "physical",
            "visual",
            "hearing",
            "speech",
            "intellectual",
            "mental",
            "multiple",
        ),
    ),
    Column("disability_severity", "code", codes=("none", "mild", "moderate", "severe")),
    Column("chronic_illness", "bool"),
    Column(
        "work_status", "code", codes=("not_working", "working", "looking", "school", "housekeeping")
    ),
    Column("birth_certificate", "bool", description="Has a birth certificate (akta kelahiran)."),
    Column("orphanhood", "code", codes=("none", "father", "mother", "both")),
    Column(
        "other_programs",
        "codes",
        codes=("pkh", "bpnt", "pip", "kis", "blt", "pksa", "jslu", "jspaca"),
        description="Other assistance received, separated by ';'.",
        max_length=100,
    ),
)
COLUMN_BY_NAME = {c.name: c for c in COLUMNS}
HOUSEHOLD_COLUMNS = tuple(c.name for c in COLUMNS if c.level == "household")
PERSON_COLUMNS = tuple(c.name for c in COLUMNS if c.level == "person")
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
TRUE_WORDS = ("yes", "y", "ya", "1", "true")
FALSE_WORDS = ("no", "n", "tidak", "0", "false")
