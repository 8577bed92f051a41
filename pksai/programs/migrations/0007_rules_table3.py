"""Issue 15 ("Registry truth"): the shipped rule sets now follow Table 3 of the World Bank
review and score everyone (docs/rule-readings.md). Rule sets are created lazily from the shipped
YAML (``ruleset_ensure_default``, ``program_rules``), so a database that already activated an
earlier shipped default would keep the old, wrong rules. For each purpose whose *active* version
is, byte for byte, an earlier shipped default (known by its SHA-256), this adds the current
shipped file as the next version and activates it (the old version is retired and kept, as
every activation does; an audit row says so). A rule set an official wrote is left alone, and a
purpose with no active version gets the new default when it is first used.

All rule sets live in ``vulnerability.RuleSet``; this migration sits in the programs app so it
depends on no unreleased vulnerability migration. After it ran on a database with scores, run
``pksai score`` (the active vulnerability version changed).
"""

import hashlib
from pathlib import Path

import yaml
from django.db import migrations
from django.utils import timezone

PACKAGE = Path(__file__).resolve().parents[2]
SHIPPED = {
    # purpose: (current shipped file, SHA-256 of the earlier shipped versions it replaces)
    "vulnerability": (
        PACKAGE / "vulnerability" / "rules" / "default.yaml",
        {
            "11aef74545127449019443cd2d2785e96423b0c0dd4231b69ec72b99bcd8f971",
            "804fa80a435ce44e4a2030b5a8a05f2fe90b193bcd4c185ca8b2d345d79c6797",
        },
    ),
    "program:jslu": (
        PACKAGE / "programs" / "rules" / "jslu.yaml",
        {"1b94f391acab5d44ed5c842f3031e69a862894a2ebd4d92c28efec82f2d717d8"},
    ),
    "program:jspaca": (
        PACKAGE / "programs" / "rules" / "jspaca.yaml",
        {"424ad58b9f512f948230d4fc732b2cd40dabd34897d961d2ff36028ad6a32952"},
    ),
    "program:pksa": (
        PACKAGE / "programs" / "rules" / "pksa.yaml",
        {"d9546d9bc351bca2c56de14718694d83b0b967e3eaab810ee7fc94a7eff5b815"},
    ),
}
MIGRATION = "programs.0007_rules_table3"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _audit(apps, ruleset, action: str, detail: dict) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditEvent.objects.create(
        action=action,
        object_type="vulnerability.ruleset",
        object_id=str(ruleset.pk),
        object_repr=f"{ruleset.name} v{ruleset.version}"[:200],
        actor_username="migration",
        detail=detail,
    )


def forward(apps, schema_editor):
    RuleSet = apps.get_model("vulnerability", "RuleSet")
    now = timezone.now()
    for purpose, (path, earlier) in SHIPPED.items():
        active = RuleSet.objects.filter(purpose=purpose, status="active").first()
        if active is None or _sha(active.source_text) not in earlier:
            continue
        text = path.read_text()
        spec = yaml.safe_load(text)  # validated (with defaults) whenever it is compiled
        last = RuleSet.objects.filter(purpose=purpose).order_by("-version").first()
        active.status = "retired"
        active.save(update_fields=["status"])
        ruleset = RuleSet.objects.create(
            purpose=purpose,
            version=last.version + 1,
            name=spec["name"],
            source_text=text,
            spec=spec,
            status="active",
            activated_at=now,
        )
        _audit(apps, ruleset, "create", {"migration": MIGRATION, "replaces": active.version})
        _audit(apps, ruleset, "update", {"activated": True, "migration": MIGRATION})


def backward(apps, schema_editor):
    """Give the purpose back the shipped version this migration retired (the new version stays,
    retired: scores and rounds may refer to it)."""
    RuleSet = apps.get_model("vulnerability", "RuleSet")
    for purpose, (path, earlier) in SHIPPED.items():
        active = RuleSet.objects.filter(purpose=purpose, status="active").first()
        if active is None or active.source_text != path.read_text():
            continue
        previous = (
            RuleSet.objects.filter(purpose=purpose, version__lt=active.version, status="retired")
            .order_by("-version")
            .first()
        )
        if previous is None or _sha(previous.source_text) not in earlier:
            continue
        active.status = "retired"
        active.save(update_fields=["status"])
        previous.status = "active"
        previous.activated_at = timezone.now()
        previous.save(update_fields=["status", "activated_at"])
        _audit(
            apps, previous, "update", {"activated": True, "migration": MIGRATION + " (reversed)"}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0006_suspension"),
        ("vulnerability", "0001_initial"),
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [migrations.RunPython(forward, backward)]
