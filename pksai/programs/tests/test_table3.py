"""The shipped program rules against Table 3 of the World Bank review (seed 004), "Summary of
Eligibility Criteria of JSPACA, JSLU, PKSA", cell by cell. The seed is a text extraction that
interleaves the table's three columns; each cell is quoted here in reading order, word for word
("fi" ligatures, lost in the extraction, restored). docs/rule-readings.md gives the readings.

Frames are built as the selection round builds them (programs.services._nominee_frame): the
registry's typed columns, the enumerator's profile, the active vulnerability score joined by
person (here computed with the shipped vulnerability rules from the same facts, as
``score_people`` does for everyone) and the case concerns.
"""

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pksai.cases.models import Concern
from pksai.programs.rules import CompiledProgramRules, ProgramRulesSpec, parse_program_rules
from pksai.registry.codes import COLUMNS
from pksai.vulnerability.rules import compile_ruleset, parse_ruleset

RULES = Path(__file__).resolve().parents[1] / "rules"
VULNERABILITY = Path(__file__).resolve().parents[2] / "vulnerability" / "rules" / "default.yaml"
AS_OF = date(2026, 11, 1)
_TYPE = {"bool": pl.Boolean, "int": pl.Int64, "date": pl.Date}
# the registry's columns as the scorer types them (the source's text "person_id" is not read:
# person_id here is ours, as in the round's frame)
REGISTRY = {c.name: _TYPE.get(c.kind, pl.String) for c in COLUMNS if c.name != "person_id"}
PROFILE = {
    "dependency": pl.String,
    "assistive_device_needed": pl.Boolean,
    "bedridden": pl.Boolean,
    "fixed_income": pl.Boolean,
    "in_institution": pl.Boolean,
    "other_assistance": pl.Boolean,
}
CONCERNS = [f"concern_{c}" for c in Concern.values]

# A poor but not destitute household (no PMT item, welfare decile 3) and a person with no
# special facts: each test adds what its Table 3 cell is about.
HOUSEHOLD = {
    "welfare_decile": 3,
    "floor_type": "cement",
    "wall_type": "brick_plastered",
    "roof_type": "tile",
    "water_source": "piped",
    "toilet": "private",
    "lighting": "pln_metered",
    "cooking_fuel": "electricity_gas",
    "has_refrigerator": True,
    "has_motorcycle": True,
    "has_land": True,
    "meals_per_day": 3,
    "protein_days_per_week": 4,
    "clothes_pairs": 6,
    "proper_sleeping_place": True,
    "health_access": True,
}
PERSON = {
    "sex": "F",
    "school_participation": "completed",
    "school_level": "smp",
    "disability_type": "none",
    "disability_severity": "none",
    "chronic_illness": False,
    "work_status": "not_working",
    "birth_certificate": True,
    "orphanhood": "none",
}
# the household of a very poor elderly person: proxy-means score 60
DESTITUTE = {
    "welfare_decile": 1,
    "floor_type": "earth",  # 10
    "wall_type": "bamboo_thatch",  # 5
    "toilet": "none",  # 10
    "lighting": "none",  # 5
    "cooking_fuel": "wood_charcoal",  # 5
    "meals_per_day": 1,  # 10
    "protein_days_per_week": 1,  # 10
    "has_refrigerator": False,  # 5
}


def nominees(*people: dict) -> pl.DataFrame:
    """Nominee rows as the round reads them, scored by the shipped vulnerability rules."""
    rows = []
    for i, facts in enumerate(people, start=1):
        row = {"nomination_id": i, "person_id": 100 + i} | HOUSEHOLD | PERSON
        row |= {"fixed_income": False, "other_assistance": False} | facts
        rows.append(row)
    schema = {"nomination_id": pl.Int64, "person_id": pl.Int64} | REGISTRY | PROFILE
    schema |= dict.fromkeys(CONCERNS, pl.Boolean) | {"has_case": pl.Boolean}
    frame = pl.DataFrame(
        [{k: row.get(k) for k in schema} for row in rows], schema=schema, orient="row"
    ).with_columns(pl.col(CONCERNS + ["has_case"]).fill_null(False))
    vulnerability = compile_ruleset(parse_ruleset(VULNERABILITY.read_text()), as_of=AS_OF)
    scores = (
        vulnerability.apply(frame.lazy().select(["person_id", *REGISTRY]))
        .select("person_id", "risk_level", "neglect", "pmt_score", "criteria_count")
        .collect()
    )
    assert scores.height == frame.height  # everyone is scored, whatever the age
    return frame.join(scores, on="person_id", how="left")


def run(program: str, *people: dict) -> pl.DataFrame:
    rules = CompiledProgramRules(
        parse_program_rules((RULES / f"{program}.yaml").read_text()), as_of=AS_OF
    )
    return rules.apply(nominees(*people).lazy()).collect()


def born(age: int) -> date:
    return date(AS_OF.year - age, 1, 1)


def failed(out: pl.DataFrame) -> list[str]:
    return out["failed"].to_list()


# --- JSLU -----------------------------------------------------------------------------------


def elder(age: int, **facts) -> dict:
    return {"birth_date": born(age), "dependency": "none", "bedridden": False} | facts


def test_jslu_1_seventy_or_older_is_enough():
    """JSLU cell 1: "70 years or older\""""
    out = run("jslu", elder(72), elder(69))
    assert out["eligible"].to_list() == [True, False]
    assert failed(out)[1] == "old_or_frail"


def test_jslu_2_sixty_plus_must_be_chronically_ill_and_dependent():
    """JSLU cell 2: "60 years and older if chronically ill & depending on others for support in
    daily activities" -- both, not either (the shipped rules said "chronically ill or
    dependent"); under 60 is outside JSLU."""
    out = run(
        "jslu",
        elder(65, chronic_illness=True, dependency="partial"),
        elder(65, chronic_illness=True, dependency="none"),  # ill, not dependent
        elder(65, chronic_illness=False, dependency="total"),  # dependent, not ill
        elder(59, chronic_illness=True, dependency="total"),
    )
    assert out["eligible"].to_list() == [True, False, False, False]
    assert failed(out) == ["", "old_or_frail", "old_or_frail", "population"]


def test_jslu_3_bedridden():
    """JSLU cell 3: "Bedridden." -- and the text: "the "bedridden" characteristic is referred
    to most often to determine JSLU eligibility status"."""
    out = run("jslu", elder(63, bedridden=True), elder(63))
    assert out["eligible"].to_list() == [True, False]
    assert out["t_dependency"][0] > out["t_dependency"][1]


def test_jslu_4_no_fixed_income_support():
    """JSLU cell 4: "Do not have fixed income support.\""""
    out = run("jslu", elder(75, fixed_income=True), elder(75, fixed_income=None))
    assert out["eligible"].to_list() == [False, False]  # unknown is not "does not have"
    assert failed(out) == ["no_fixed_income", "no_fixed_income"]


def test_jslu_5_no_permanent_assistance_but_pkh_is_not_permanent():
    """JSLU cell 5: "Not a disabled or person who received a permanent assistance from
    government." Read: not someone (disabled or not) who already receives a *permanent*
    assistance -- the nomination's other_assistance flag (JSPACA, PKSA or another permanent
    program); PKH alone is not permanent assistance."""
    out = run(
        "jslu",
        elder(75, other_assistance=True, other_programs="jspaca"),
        elder(75, other_programs="pkh"),
    )
    assert out["eligible"].to_list() == [False, True]
    assert failed(out)[0] == "other_assistance"


def test_jslu_6_poverty_by_the_pmt_criteria():
    """JSLU cell 6: "Other PMT criteria." (footnote 25, the PMKS criteria of neglected elderly)
    and footnote 30: "The criteria included in the Proxy Mean Test (PMT) used are: do not have
    proper meals (eat less than 2 times/day, consume meat/fish/egg no more than twice/week), do
    not have enough clothes (less than 4 pairs), do not have proper place to sleep." A JSLU
    beneficiary's "income poverty as estimated by a proxy-means score"."""
    better_off = {"welfare_decile": 7}
    out = run(
        "jslu",
        elder(75, **better_off),  # no PMT item, decile 7: not poor
        elder(75, **better_off, meals_per_day=1),
        elder(75, **better_off, clothes_pairs=3),
        elder(75, **better_off, proper_sleeping_place=False),
        elder(75, welfare_decile=4),  # the registry's PMT ranking: poorest 40 %
        elder(75, welfare_decile=None),  # nothing known: not shown to be poor
    )
    assert out["eligible"].to_list() == [False, True, True, True, True, False]
    assert failed(out)[0] == "poor"


def test_an_elderly_person_meeting_table_3_gets_the_pmt_priority_points():
    """The elderly now have a proxy-means score (the household's), so JSLU's poverty tier,
    which reads ``pmt_score``, fires for them: "For JSPACA and JSLU, the more criteria that
    apply to a potential recipient, the higher the priority"."""
    out = run("jslu", elder(80, **DESTITUTE), elder(80))
    assert out["eligible"].to_list() == [True, True]
    assert out["pmt_score"].to_list() == [60, 0]
    # improper meals is their one PMKS criterion: not neglected, no neglect points
    assert out["neglect"].to_list() == ["not_neglected", "not_neglected"]
    # welfare decile 1 (3 points) + PMT score >= 50 (2); the other: decile 3 (1)
    assert out["t_poverty"].to_list() == [5, 1]
    rules = CompiledProgramRules(parse_program_rules((RULES / "jslu.yaml").read_text()), AS_OF)
    assert rules.rank(out)["nomination_id"].to_list() == [1, 2]


def test_a_neglected_elderly_person_is_poor_and_ranked_higher():
    """Footnote 25: "criteria for neglected children and elderly are ..."; more than 2 criteria
    is neglected. The elderly classification feeds JSLU (cell 6, "Other PMT criteria.")."""
    neglected = {
        "welfare_decile": 7,
        "health_access": False,
        "school_level": "sd",
        "work_status": "working",
    }
    out = run("jslu", elder(75, **neglected), elder(75, welfare_decile=7))
    assert out["neglect"].to_list() == ["neglected", "not_neglected"]
    assert out["eligible"].to_list() == [True, False]
    assert out["t_poverty"][0] == 2


# --- JSPACA ---------------------------------------------------------------------------------


def disabled(**facts) -> dict:
    base = {
        "birth_date": born(35),
        "disability_type": "physical",
        "disability_severity": "severe",
        "dependency": "total",
        "bedridden": False,
        "in_institution": False,
    }
    return base | facts


def test_jspaca_1_severely_disabled_who_depend_on_others():
    """JSPACA cell 1: "Severely disabled who depend on others to support their daily
    activities.\""""
    out = run(
        "jspaca",
        disabled(),
        disabled(disability_severity="moderate"),
        disabled(dependency="none"),
        disabled(dependency="none", bedridden=True),  # bedridden: depends on others
    )
    assert out["eligible"].to_list() == [True, False, False, True]
    assert failed(out)[1:3] == ["severe_disability", "dependent"]


def test_jspaca_2_without_fixed_income_support():
    """JSPACA cell 2: "Without fixed income support.\""""
    out = run("jspaca", disabled(fixed_income=True))
    assert failed(out) == ["no_fixed_income"]


def test_jspaca_3_the_poor_and_those_outside_care_institutions_first():
    """JSPACA cell 3: "Prioritized for disabled who are poor and/or not members of care
    institutions." -- priority, not a condition (the last tier: "economic status as the last
    filter")."""
    out = run(
        "jspaca",
        disabled(welfare_decile=5, in_institution=True),
        disabled(welfare_decile=5),
        disabled(**DESTITUTE),
    )
    assert out["eligible"].to_list() == [True, True, True]
    assert out["t_economic"].to_list() == [0, 1, 4 + 2 + 1]
    rules = CompiledProgramRules(parse_program_rules((RULES / "jspaca.yaml").read_text()), AS_OF)
    assert rules.rank(out)["nomination_id"].to_list() == [3, 2, 1]


def test_jspaca_4_excludes_a_pkh_recipient():
    """JSPACA cell 4: "Are not currently receiving other assistance from government." -- any
    assistance, not only permanent ones; the text: "the "severely disabled" are prioritized for
    JSPACA as long as they are not already receiving income support". PKH (and BPNT, BLT,
    PKSA, JSLU) is income support; KIS health insurance and PIP school aid are not."""
    out = run(
        "jspaca",
        disabled(other_programs="pkh"),
        disabled(other_programs="kis;bpnt"),
        disabled(other_programs="kis;pip"),
        disabled(other_programs="jspaca"),  # its own program (re-confirmation)
        disabled(other_assistance=True),  # an active beneficiary of a permanent program
        disabled(),
    )
    assert out["eligible"].to_list() == [False, False, True, True, False, True]
    assert failed(out)[0] == "other_assistance"


# --- PKSA -----------------------------------------------------------------------------------


def kid(age: int = 10, **facts) -> dict:
    return {"birth_date": born(age), "school_participation": "attending", "school_level": "sd"} | (
        facts
    )


def test_pksa_1_abuse_victims_abandoned_and_street_children():
    """PKSA cell 1: "Abuse victims, abandoned by the parents/family, vulnerable street
    children.\""""
    neglected = {"clothes_pairs": 2, "health_access": False, "proper_sleeping_place": False}
    out = run(
        "pksa",
        kid(concern_physical_violence=True, has_case=True),
        kid(3, **neglected),
        kid(12, concern_street_child=True, has_case=True),
        kid(12, **neglected),
    )
    assert out["eligible"].to_list() == [True] * 4
    assert out["matches"].to_list() == ["pks_ampk", "pks_abt", "pks_anjal", "pks_anjal"]


def test_pksa_2_children_in_conflict_with_the_law():
    """PKSA cell 2: "In violation of law, being processed judicially, or serving a criminal
    sentence.\""""
    out = run("pksa", kid(15, concern_conflict_with_law=True, has_case=True))
    assert out["eligible"].to_list() == [True] and out["matches"].to_list() == ["pks_abh"]


def test_pksa_3_pks_adk_matches_a_mild_physical_or_mental_disability():
    """PKSA cell 3: "With physical and/or mental disabilities." -- no severity named, so a mild
    one counts (the shipped rules asked for moderate or severe)."""
    out = run(
        "pksa",
        kid(disability_type="physical", disability_severity="mild"),
        kid(disability_type="mental", disability_severity="mild"),
        kid(disability_type="intellectual", disability_severity=None),
        kid(disability_type="none", disability_severity="none"),
    )
    assert out["matches"].to_list() == ["pks_adk", "pks_adk", "pks_adk", ""]
    assert out["eligible"].to_list() == [True, True, True, False]


def test_pksa_4_trafficking_exploitation_special_protection():
    """PKSA cell 4: "Victims of trafficking/exploitation, from minority/isolated groups, or
    HIV/AIDS positive, or drugs abusers." (the case concerns hold trafficking and
    exploitation; minority/isolated groups, HIV/AIDS and drug use have no fact to read yet)."""
    out = run(
        "pksa",
        kid(concern_trafficking=True, has_case=True),
        kid(12, work_status="working"),  # under 15, working for income
        kid(16, work_status="working"),
    )
    assert out["matches"].to_list() == ["pks_ampk", "pks_ampk", ""]
    assert out["eligible"].to_list() == [True, True, False]


def test_pksa_a_child_in_no_group_of_table_3_is_not_eligible():
    """Table 3 gives PKSA's eligibility as its four groups ("For PKSA, each group of
    characteristics represents a sub-program ... any one, but not necessarily all, of the
    listed characteristics may apply"): a medium-risk child in none of them (no birth
    certificate, poorest 20 %) is ranked only when in a group. It has no other-assistance
    exclusion: Table 3 names none for PKSA."""
    out = run(
        "pksa",
        kid(birth_certificate=False, welfare_decile=1),
        kid(birth_certificate=False, welfare_decile=1, other_assistance=True, other_programs="pkh")
        | {"disability_type": "hearing", "disability_severity": "moderate"},
    )
    assert out["risk_level"].to_list() == ["medium", "medium"]
    assert out["eligible"].to_list() == [False, True]
    assert failed(out) == ["table3_group", ""]


@pytest.mark.parametrize("program", ["jslu", "jspaca", "pksa"])
def test_every_condition_label_has_both_languages(program):
    spec = parse_program_rules((RULES / f"{program}.yaml").read_text())
    for condition in [*spec.eligibility, *spec.exclusions]:
        assert isinstance(condition.label, dict) and set(condition.label) == {"id", "en"}


# --- rolling the corrected defaults out to a database that already uses the old ones ------


@pytest.mark.django_db
def test_the_migration_replaces_an_active_shipped_default_but_not_an_officials_rules(monkeypatch):
    import hashlib
    import importlib

    from django.apps import apps

    from pksai.audit.models import AuditEvent
    from pksai.vulnerability.models import RuleSet

    migration = importlib.import_module("pksai.programs.migrations.0007_rules_table3")
    old = "name: JSLU default 2026\npurpose: program\nprogram: jslu\neligibility: []\n"
    path, _earlier = migration.SHIPPED["program:jslu"]
    monkeypatch.setitem(
        migration.SHIPPED, "program:jslu", (path, {hashlib.sha256(old.encode()).hexdigest()})
    )
    RuleSet.objects.filter(purpose__in=["program:jslu", "program:jspaca"]).delete()
    shipped = RuleSet.objects.create(
        purpose="program:jslu",
        version=1,
        name="JSLU default 2026",
        source_text=old,
        spec={},
        status="active",
    )
    own = "name: Our JSPACA rules\n"
    officials = RuleSet.objects.create(
        purpose="program:jspaca",
        version=1,
        name="Ours",
        source_text=own,
        spec={},
        status="active",
    )
    migration.forward(apps, None)
    new = RuleSet.objects.get(purpose="program:jslu", status="active")
    assert new.version == 2 and new.source_text == (RULES / "jslu.yaml").read_text()
    # the stored spec is the YAML as loaded: it validates to the same rules
    assert ProgramRulesSpec.model_validate(new.spec) == parse_program_rules(new.source_text)
    shipped.refresh_from_db()
    officials.refresh_from_db()
    assert shipped.status == "retired" and officials.status == "active"
    assert AuditEvent.objects.filter(
        object_type="vulnerability.ruleset", object_id=str(new.pk), detail__activated=True
    ).exists()
    migration.forward(apps, None)  # a second run changes nothing
    assert RuleSet.objects.filter(purpose="program:jslu").count() == 2
    migration.backward(apps, None)
    shipped.refresh_from_db()
    new.refresh_from_db()
    assert shipped.status == "active" and new.status == "retired"
