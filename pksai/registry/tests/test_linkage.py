import importlib.util
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pksai.registry import linkage
from pksai.registry.linkage import (
    LOWER,
    PAIR_SCHEMA,
    UPPER,
    LinkageInputError,
    clusters,
    dedupe,
    link,
    nik_consistent,
    nik_trusted,
    normalise_name,
    records_from_extract,
)
from pksai.registry.synth import synth_registry
from pksai.registry.synth_editions import synth_next_edition

# Villages of two regencies, five districts each (codes only: no database needed).
VILLAGES = [
    f"{regency}.{district:02d}.{base + village}"
    for regency, base in (("73.71", 1000), ("73.06", 2000))
    for district in range(1, 6)
    for village in range(1, 8)
]
NEW_IDS = 1_000_001  # edition 2's record ids start here; edition 1's at 1


def record(record_id: int, **values) -> dict:
    base = {
        "record_id": record_id,
        "source": "TEST",
        "nik": None,
        "kk_number": None,
        "name": "Siti Aminah",
        "birth_date": date(1990, 4, 12),
        "sex": "F",
        "village_code": "73.71.01.1001",
        "household_key": None,
    }
    return base | values


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=linkage.RECORD_SCHEMA)


@pytest.fixture(scope="module")
def editions():
    first = synth_registry(
        village_codes=VILLAGES, households=1000, seed=11, today=date(2026, 5, 10)
    )
    second = synth_next_edition(first, seed=12, today=date(2027, 5, 10))
    existing = records_from_extract(first, source="SYNTH", first_id=1)
    new = records_from_extract(second.frame, source="SYNTH", first_id=NEW_IDS)
    return new, existing, second.truth


def true_pairs(truth: pl.DataFrame) -> pl.DataFrame:
    ids = [
        truth.filter(pl.col("edition") == edition)
        .with_row_index("i")
        .select((pl.col("i") + offset).cast(pl.Int64).alias(column), "true_person")
        for edition, offset, column in ((1, 1, "record_id_r"), (2, NEW_IDS, "record_id_l"))
    ]
    return ids[1].join(ids[0], on="true_person").drop("true_person")


# --- quality on two synthetic editions ---------------------------------------------------


def test_linkage_quality_at_default_thresholds(editions):
    new, existing, truth = editions
    pairs = link(new, existing)
    assert pairs.schema == pl.Schema(PAIR_SCHEMA)
    assert pairs["match_probability"].min() >= LOWER
    expected = true_pairs(truth)
    labelled = pairs.join(
        expected.with_columns(pl.lit(True).alias("true")),
        on=["record_id_l", "record_id_r"],
        how="left",
    ).with_columns(pl.col("true").fill_null(False))
    auto = labelled.filter(pl.col("match_probability") >= UPPER)
    precision = auto["true"].mean()
    recall = auto["true"].sum() / expected.height
    review = labelled.filter(pl.col("match_probability") < UPPER)
    methods = dict(pairs.group_by("method").len().iter_rows())
    print(
        f"\nlinkage of {new.height:,} × {existing.height:,} records: precision {precision:.4f}, "
        f"recall {recall:.4f} ({expected.height:,} true pairs); by method {methods}; "
        f"review queue {review.height} pairs ({review['true'].sum()} true)"
    )
    assert precision >= 0.99
    assert recall >= 0.95
    # Every method contributes, and the review queue holds pairs between the thresholds.
    assert set(methods) == {"nik", "kk_name_dob", "probabilistic"}
    assert review.height > 0
    assert review["match_probability"].is_between(LOWER, UPPER, closed="left").all()
    # The deterministic rules decide with certainty; the model's pairs carry a weight.
    rules = pairs.filter(pl.col("method") != "probabilistic")
    assert (rules["match_probability"] == 1.0).all() and rules["match_weight"].is_null().all()
    assert pairs.filter(pl.col("method") == "probabilistic")["match_weight"].is_not_null().all()
    # A record linked by a rule is not scored again by the model.
    scored = pairs.filter(pl.col("method") == "probabilistic")
    assert not scored["record_id_l"].is_in(rules["record_id_l"].implode()).any()


def test_clusters_of_linked_editions_hold_one_person_each(editions):
    new, existing, truth = editions
    groups = clusters(link(new, existing))
    ids = pl.concat(
        [
            truth.filter(pl.col("edition") == e)
            .with_row_index("i")
            .select((pl.col("i") + offset).cast(pl.Int64).alias("record_id"), "true_person")
            for e, offset in ((1, 1), (2, NEW_IDS))
        ]
    )
    people_per_cluster = (
        groups.join(ids, on="record_id")
        .group_by("cluster_id")
        .agg(pl.col("true_person").n_unique())
    )
    assert (people_per_cluster["true_person"] == 1).mean() >= 0.99


# --- deterministic rules --------------------------------------------------------------------


def test_same_trusted_nik_links_whatever_the_name():
    nik = "7371015204900001"
    new = frame(record(1, nik=nik, name="Siti Aminah"))
    existing = frame(record(10, nik=nik, name="Aminah binti Baso", village_code="73.06.01.2001"))
    pairs = link(new, existing)
    assert pairs.to_dicts() == [
        {
            "record_id_l": 1,
            "record_id_r": 10,
            "method": "nik",
            "match_probability": 1.0,
            "match_weight": None,
        }
    ]


def test_family_card_name_and_birth_date_link_without_nik():
    kk = "7371011203150003"
    new = frame(record(1, kk_number=kk, name="Hj. St. Aminah, S.Pd"))
    existing = frame(
        record(10, kk_number=kk, name="SITI AMINAH"),
        record(11, kk_number=kk, name="Siti Aminah", birth_date=date(1990, 4, 13)),
        record(12, kk_number="7371011203150004", name="Siti Aminah"),
    )
    pairs = link(new, existing)
    rules = pairs.filter(pl.col("method") != "probabilistic")
    assert rules.select("record_id_l", "record_id_r", "method").to_dicts() == [
        {"record_id_l": 1, "record_id_r": 10, "method": "kk_name_dob"}
    ]


def test_family_card_rule_does_not_override_two_different_trusted_niks():
    kk = "7371011203150003"
    new = frame(record(1, kk_number=kk, nik="7371015204900001"))
    existing = frame(record(10, kk_number=kk, nik="7371015204900002"))
    pairs = link(new, existing, lower=0.5)
    assert "kk_name_dob" not in pairs["method"].to_list()


def test_dedupe_finds_pairs_within_one_set_once():
    nik = "7371015204900001"
    records = frame(
        record(1, nik=nik),
        record(2, nik=nik, name="Siti Aminah Lestari"),
        record(3, name="Budi Santoso", sex="M", birth_date=date(1975, 1, 2)),
    )
    pairs = dedupe(records)
    assert pairs.select("record_id_l", "record_id_r", "method").to_dicts() == [
        {"record_id_l": 1, "record_id_r": 2, "method": "nik"}
    ]


def test_model_links_a_typo_and_leaves_a_namesake_in_another_village():
    existing = frame(
        record(10, name="Muhammad Rizki", sex="M", birth_date=date(2012, 3, 4)),
        record(
            11,
            name="Muhammad Rizki",
            sex="M",
            birth_date=date(2012, 3, 4),
            village_code="73.06.03.2004",
        ),
    )
    new = frame(record(1, name="Muh. Riski", sex="M", birth_date=date(2012, 3, 4)))
    pairs = link(new, existing, lower=1e-9).sort("match_probability", descending=True)
    assert pairs["record_id_r"].to_list() == [10, 11]
    assert pairs["method"].to_list() == ["probabilistic", "probabilistic"]
    assert pairs["match_probability"][0] >= UPPER > LOWER > pairs["match_probability"][1]


def test_only_pairs_at_or_above_lower_are_returned():
    existing = frame(
        record(10, name="Siti Aminah"),
        record(11, name="Budi Santoso", sex="M"),  # same birth date: compared, unlike
    )
    new = frame(record(1, name="Siti Aminah"))
    everything = link(new, existing, lower=1e-9)
    assert everything.height == 2
    strict = link(new, existing, lower=0.5)
    assert strict["record_id_r"].to_list() == [10]
    with pytest.raises(ValueError, match="thresholds"):
        link(new, existing, lower=0.9, upper=0.8)


# --- NIK trust ------------------------------------------------------------------------------


def test_nik_trusted_from_quality_flags():
    nik = "7371015204900001"
    flags = pl.DataFrame(
        {
            "nik": [nik, nik, nik, nik, nik, nik, "12345"],
            "dq_flags": [
                None,
                "",
                "nik_region_mismatch",  # people move: still trusted
                "nik_duplicate",
                "nik_region_mismatch;nik_birthdate_mismatch",
                "nik_sex_mismatch",
                "",
            ],
        }
    )
    trusted = flags.select(nik_trusted())["nik"].to_list()
    assert trusted == [nik, nik, nik, None, None, None, None]


def test_nik_consistent_checks_birth_date_sex_and_duplicates():
    rows = pl.DataFrame(
        {
            "nik": ["7371015204900001", "7371011204900002", "7371015204910003", "7371015204900004",
                    "7371015204900004", None],
            "birth_date": [date(1990, 4, 12)] * 6,
            "sex": ["F", "F", "F", "F", "F", "F"],
        }
    )  # fmt: skip
    assert rows.select(nik_consistent())["nik"].to_list() == [
        "7371015204900001",  # consistent
        None,  # day 12 is a man's code: the sex disagrees
        None,  # born 1991 by the NIK
        None,  # the same NIK twice
        None,
        None,
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hj. St. Aminah, S.Pd", "siti aminah"),
        ("Moh. Soekarno", "muhammad sukarno"),
        ("M. Djoko  Tjiptono", "muhammad joko ciptono"),
        ("ABD. RAHMAN bin Baso", "abdul rahman baso"),
        ("Ma'ruf", "maruf"),
        ("Dr. Ir. H. Muhamad Yusuf", "muhammad yusuf"),
        ("Hj.", None),
    ],
)
def test_normalise_name(raw, expected):
    assert pl.select(normalise_name(pl.lit(raw))).item() == expected


# --- clusters -------------------------------------------------------------------------------


def test_clusters_are_connected_components_above_upper():
    pairs = pl.DataFrame(
        {
            "record_id_l": [5, 6, 1, 20, 30],
            "record_id_r": [6, 7, 2, 21, 31],
            "method": ["nik", "probabilistic", "probabilistic", "probabilistic", "kk_name_dob"],
            "match_probability": [1.0, 0.995, 0.999, 0.85, 1.0],
            "match_weight": [None, 9.0, 11.0, 3.0, None],
        },
        schema=PAIR_SCHEMA,
    )
    expected = pl.DataFrame(
        {"record_id": [1, 2, 5, 6, 7, 30, 31], "cluster_id": [1, 1, 5, 5, 5, 30, 30]},
        schema=linkage.CLUSTER_SCHEMA,
    )
    assert_frame_equal(clusters(pairs, upper=0.99), expected)
    # A long chain needs several rounds: 10 - 9 - 8 - ... - 1.
    chain = pl.DataFrame(
        {
            "record_id_l": list(range(10, 1, -1)),
            "record_id_r": list(range(9, 0, -1)),
            "method": ["probabilistic"] * 9,
            "match_probability": [0.999] * 9,
            "match_weight": [10.0] * 9,
        },
        schema=PAIR_SCHEMA,
    )
    assert clusters(chain)["cluster_id"].unique().to_list() == [1]
    assert clusters(chain.clear()).is_empty()


# --- input ----------------------------------------------------------------------------------


def test_bad_input_says_what_is_wrong():
    good = frame(record(1))
    with pytest.raises(LinkageInputError, match="existing: missing column"):
        link(good, good.drop("birth_date"))
    with pytest.raises(LinkageInputError, match="birth_date is String"):
        link(good.with_columns(pl.col("birth_date").cast(pl.String)), good)
    with pytest.raises(LinkageInputError, match="record_id is not unique"):
        dedupe(pl.concat([good, good]))
    # household_key is optional.
    assert link(good.drop("household_key"), frame(record(2))).height == 1


def test_model_settings_for_duckdb_and_spark_carry_the_trained_parameters():
    model = linkage.load_model()
    trained = {
        c["output_column_name"]: [lv.get("m_probability") for lv in c["comparison_levels"]]
        for c in model["comparisons"]
    }
    for dialect in ("duckdb", "spark"):
        settings = linkage.model_settings(dialect=dialect)
        assert settings["sql_dialect"] == dialect
        got = {
            c["output_column_name"]: [lv.get("m_probability") for lv in c["comparison_levels"]]
            for c in settings["comparisons"]
        }
        assert got == trained


@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None, reason="pyspark is not installed (extra: spark)"
)
def test_the_same_model_scores_on_spark(tmp_path):
    from pyspark.sql import SparkSession
    from splink import Linker, SparkAPI
    from splink.backends.spark import similarity_jar_location

    kk = "7371011203150003"
    new = frame(record(1, name="Siti Aminah", kk_number=kk))
    existing = frame(record(10, name="Siti Amina", kk_number=kk, village_code="73.71.01.1002"))
    on_duckdb = link(new, existing, lower=1e-9)
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("pksai-linkage-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.jars", similarity_jar_location())  # splink's Jaro-Winkler UDF
        .getOrCreate()
    )
    try:
        spark.sparkContext.setCheckpointDir(str(tmp_path / "checkpoints"))
        db_api = SparkAPI(spark_session=spark)
        tables = []
        for records, name in ((new, "a_new"), (existing, "b_existing")):
            path = tmp_path / f"{name}.parquet"
            features = linkage._features(linkage._checked(records, side=name))
            features.select(linkage._SPLINK_COLUMNS).write_parquet(path)
            tables.append(db_api.register(spark.read.parquet(str(path)), table_name=name))
        settings = linkage.model_settings(dialect="spark", prior=0.5)
        rows = Linker(tables, settings).inference.predict().as_spark_dataframe().collect()
    finally:
        spark.stop()
    assert len(rows) == 1
    assert rows[0]["match_weight"] == pytest.approx(on_duckdb["match_weight"][0], abs=1e-6)
