"""Demo registry data: a modest synthetic extract for the five pilot regencies, imported and
scored like a real one."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils import timezone

from pksai.accounts.demo import PILOT_SITES
from pksai.registry.models import ImportBatch, Person
from pksai.registry.services import registry_import
from pksai.registry.synth import synth_registry_for_regencies

DEMO_SOURCE = "DEMO-DTKS"


def demo_registry(*, households: int = 2_000, seed: int = 2017) -> ImportBatch | None:
    """Import the demo extract unless people are already in the registry."""
    if Person.objects.exists():
        return None
    frame = synth_registry_for_regencies(
        regencies=[code for _slug, code, _name in PILOT_SITES],
        households=households,
        seed=seed,
        today=timezone.localdate(),
    )
    directory = Path(settings.VAR_DIR) / "demo"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "registry-demo.parquet"
    frame.write_parquet(path)
    return registry_import(path=path, source=DEMO_SOURCE, edition="2026-01", score="no")
