"""Program rules in the vulnerability rule language (vulnerability/rules.py), extended with
what selection needs: eligibility conditions (all must hold), exclusions (any one excludes),
sub-program matches (a person may match several) and priority tiers (points, ranked tier by
tier). Stored as `vulnerability.RuleSet` versions with purpose ``program:<code>``.

Ranking (documented in docs/program-rules.md): eligible nominees are ordered by the first tier's
points (highest first), then the second tier's, and so on; remaining ties go to the poorer
household (lower welfare decile; unknown last), then the older person, then the earlier
nomination. The order is total, so the same nominees always give the same list.
"""

from __future__ import annotations

import ast
from datetime import date
from typing import Literal

import polars as pl
import yaml
from pydantic import Field, ValidationError

from pksai.cases.models import Concern
from pksai.vulnerability.rules import (
    BASE_COLUMNS,
    IDENT,
    Compiler,
    Label,
    RuleError,
    _Spec,
    age_expr,
    fires,
    label_text,
)

PROFILE = {
    "dependency",  # 'none' | 'partial' | 'total'
    "assistive_device_needed",
    "bedridden",
    "fixed_income",
    "in_institution",
    "other_assistance",  # receives another permanent government assistance (flag)
    "has_case",
    # the person's active vulnerability score (docs/vulnerability-rules.md, "Who gets what"):
    "risk_level",  # children: 'high' | 'medium' | 'low'; empty for adults
    "neglect",  # children and the elderly; empty for others
    "pmt_score",  # everyone: the household's proxy-means score
    "criteria_count",
}
CONCERNS = {f"concern_{c}" for c in Concern.values}
NAMES = BASE_COLUMNS | PROFILE | CONCERNS


class Condition(_Spec):
    id: str = Field(pattern=IDENT)
    label: Label
    when: str


class SubProgramMatch(_Spec):
    program: str = Field(pattern=IDENT)
    when: str


class Points(_Spec):
    when: str
    points: int = Field(ge=0, le=1000)


class Tier(_Spec):
    id: str = Field(pattern=IDENT)
    label: Label
    points: list[Points]


class ProgramRulesSpec(_Spec):
    name: str = Field(max_length=200)
    purpose: Literal["program"] = "program"
    program: str = Field(pattern=IDENT)
    description: str = ""
    population: str = "true"
    definitions: dict[str, str] = Field(default_factory=dict)
    eligibility: list[Condition]
    exclusions: list[Condition] = Field(default_factory=list)
    subprograms: list[SubProgramMatch] = Field(default_factory=list)
    priority: list[Tier] = Field(default_factory=list)


def parse_program_rules(text: str) -> ProgramRulesSpec:
    """YAML text → validated spec, or RuleError listing every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"not valid YAML: {exc}") from exc
    try:
        spec = ProgramRulesSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise RuleError(problems) from exc
    CompiledProgramRules(spec)  # every expression must compile
    return spec


class CompiledProgramRules:
    """Turns a frame of nominees (registry columns, profile, concerns) into results."""

    def __init__(self, spec: ProgramRulesSpec, as_of: date | None = None):
        self.spec = spec
        self.as_of = as_of or date.today()  # noqa: DTZ011 (a calendar date)
        names: dict[str, pl.Expr] = {n: pl.col(n) for n in NAMES | {"age"}}
        compiler = Compiler(names)
        for name, source in spec.definitions.items():
            if not name.isidentifier() or name in names:
                raise RuleError(f"definitions.{name}: name is not allowed")
            names[name] = compiler.compile(source, f"definitions.{name}")
        self.population = fires(compiler.compile(spec.population, "population"))
        self.eligibility = [
            (c, fires(compiler.compile(c.when, f"eligibility.{c.id}"))) for c in spec.eligibility
        ]
        self.exclusions = [
            (c, fires(compiler.compile(c.when, f"exclusions.{c.id}"))) for c in spec.exclusions
        ]
        self.subprograms = [
            (m, fires(compiler.compile(m.when, f"subprograms.{m.program}")))
            for m in spec.subprograms
        ]
        self.tiers = [
            (
                t,
                pl.sum_horizontal(
                    [
                        pl.when(fires(compiler.compile(p.when, f"priority.{t.id}")))
                        .then(p.points)
                        .otherwise(0)
                        for p in t.points
                    ]
                    or [pl.lit(0)]
                ),
            )
            for t in spec.priority
        ]

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Add: eligible (bool), failed (';'-joined conditions not met and exclusions that
        applied), matches (';'-joined sub-program codes) and t_<tier> points."""
        out = frame.with_columns(age_expr(self.as_of).alias("age"))
        in_population = self.population
        passed = [expr for _c, expr in self.eligibility]
        excluded = [expr for _c, expr in self.exclusions]
        eligible = in_population
        for expr in passed:
            eligible = eligible & expr
        for expr in excluded:
            eligible = eligible & ~expr
        failed = [pl.when(~in_population).then(pl.lit("population"))]
        failed += [pl.when(~expr).then(pl.lit(c.id)) for c, expr in self.eligibility]
        failed += [pl.when(expr).then(pl.lit(c.id)) for c, expr in self.exclusions]
        matches = [pl.when(expr).then(pl.lit(m.program)) for m, expr in self.subprograms]
        return out.with_columns(
            eligible.alias("eligible"),
            pl.concat_str(failed, separator=";", ignore_nulls=True).alias("failed"),
            (
                pl.concat_str(matches, separator=";", ignore_nulls=True) if matches else pl.lit("")
            ).alias("matches"),
            *[expr.cast(pl.Int32).alias(f"t_{t.id}") for t, expr in self.tiers],
        )

    def rank(self, results: pl.DataFrame) -> pl.DataFrame:
        """Eligible rows in priority order with ``rank`` 1..n (the documented total order)."""
        tiers = [f"t_{t.id}" for t, _expr in self.tiers]
        ordered = results.filter(pl.col("eligible")).sort(
            [*tiers, "welfare_decile", "age", "nomination_id"],
            descending=[True] * len(tiers) + [False, True, False],
            nulls_last=True,
        )
        return ordered.with_row_index("rank", offset=1)

    def labels(self) -> dict[str, str]:
        out = {"population": "population"}
        out |= {c.id: label_text(c.label) for c in self.spec.eligibility}
        out |= {c.id: label_text(c.label) for c in self.spec.exclusions}
        out |= {t.id: label_text(t.label) for t in self.spec.priority}
        return out


def used_names(spec: ProgramRulesSpec) -> set[str]:
    sources = [spec.population, *spec.definitions.values()]
    sources += [c.when for c in spec.eligibility + spec.exclusions]
    sources += [m.when for m in spec.subprograms]
    sources += [p.when for t in spec.priority for p in t.points]
    return {
        node.id
        for source in sources
        for node in ast.walk(ast.parse(source, mode="eval"))
        if isinstance(node, ast.Name)
    }
