"""pksai backup → pksai restore into a new database and new storage: the same rows in every
table and the same files; a non-empty target and a damaged backup are refused."""

import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from pksai.ops.tests.helpers import (
    demo_records,
    row_counts_here,
    row_counts_of,
    second_database,
    tree_checksums,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def source_storage(tmp_path, settings):
    settings.ATTACHMENT_ROOT = tmp_path / "source" / "attachments"
    settings.IMPORT_ROOT = tmp_path / "source" / "imports"
    settings.MEDIA_ROOT = tmp_path / "source" / "media"
    return tmp_path / "source"


def pksai(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pksai", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_backup_restores_into_a_new_database_with_the_same_rows_and_files(
    pilot_areas, source_storage, tmp_path
):
    demo = demo_records()
    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir))

    manifest = json.loads((backup_dir / "manifest.json").read_text())
    source_counts = row_counts_here()
    assert manifest["tables"] == source_counts
    assert manifest["tables"]["cases_case"] == 1 and manifest["tables"]["cases_attachment"] == 1
    assert manifest["tables"]["audit_auditevent"] >= 2
    assert manifest["migrations"]["cases"][0] == "0001_initial"
    assert manifest["versions"]["django"].startswith("6.")
    stored = {(e["kind"], e["name"]) for e in manifest["files"]}
    assert stored == {
        ("attachments", demo["attachment"].stored_name),
        ("imports", "uploads/extract.csv"),
        ("media", "logo.png"),
    }
    attachment_entry = next(e for e in manifest["files"] if e["kind"] == "attachments")
    assert attachment_entry["sha256"] == demo["attachment"].sha256

    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(backup_dir))

    target = tmp_path / "restored"
    with second_database(tmp_path, "restored") as database:
        env = {
            "DATABASE_URL": database["url"],
            "PKSAI_ATTACHMENT_ROOT": str(target / "attachments"),
            "PKSAI_IMPORT_ROOT": str(target / "imports"),
            "PKSAI_MEDIA_ROOT": str(target / "media"),
        }
        result = pksai("restore", str(backup_dir), env=env)
        assert result.returncode == 0, result.stderr
        assert "match the manifest" in result.stdout

        assert row_counts_of(database["url"]) == source_counts
        assert tree_checksums(target) == tree_checksums(source_storage)

        # the restored database and storage are no longer empty: a second restore is refused
        again = pksai("restore", str(backup_dir), env=env)
        assert again.returncode != 0 and "not empty" in again.stderr
        assert row_counts_of(database["url"]) == source_counts


def test_a_damaged_backup_is_refused_before_anything_is_written(
    pilot_areas, source_storage, tmp_path
):
    demo_records()
    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir))
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    entry = next(e for e in manifest["files"] if e["kind"] == "attachments")
    damaged = backup_dir / "files" / "attachments" / entry["name"]
    damaged.write_bytes(damaged.read_bytes() + b"x")
    target = tmp_path / "restored"
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}",
        "PKSAI_ATTACHMENT_ROOT": str(target / "attachments"),
        "PKSAI_IMPORT_ROOT": str(target / "imports"),
        "PKSAI_MEDIA_ROOT": str(target / "media"),
    }
    result = pksai("restore", str(backup_dir), env=env)
    assert result.returncode != 0
    assert f"files/attachments/{entry['name']}: checksum differs" in result.stderr
    assert not target.exists()
