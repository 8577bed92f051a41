"""Shared file storage: where uploads, case attachments and import files live.

App servers keep nothing on their own disk: every file goes through Django's storage API to a
storage every app server and worker shares — a directory (``PKSAI_STORAGE=dir``, the default;
on several machines a shared mount such as NFS) or S3-compatible object storage
(``PKSAI_STORAGE=s3``, django-storages). Three kinds, each its own entry in
``settings.STORAGES``:

``attachments``  case attachments and nominee photos (``nominees/<name>``): personal data,
                 served only through permission-checked, audited views
``imports``      registry import uploads (``uploads/<name>``) and error reports
``default``      other media (``MEDIA_ROOT``)

In directory mode the location is read from the setting each time (``ATTACHMENT_ROOT``,
``IMPORT_ROOT`` — default ``VAR_DIR/imports`` —, ``MEDIA_ROOT``), so tests that point a setting
at a temporary directory move the storage with it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages

KINDS = ("attachments", "imports", "default")


def _location(setting: str) -> Path:
    value = getattr(settings, setting, None)
    if value:
        return Path(value)
    if setting == "IMPORT_ROOT":
        return Path(settings.VAR_DIR) / "imports"
    raise ValueError(f"settings.{setting} is not set")


class SettingDirStorage(FileSystemStorage):
    """A directory whose location is the current value of a setting (read on every use)."""

    def __init__(self, *, setting: str, **kwargs) -> None:
        self.setting = setting
        kwargs.pop("location", None)
        super().__init__(**kwargs)

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(_location(self.setting))

    @property  # type: ignore[override]
    def location(self) -> str:
        return str(_location(self.setting).resolve())

    def deconstruct(self):  # pragma: no cover - not used in migrations
        return ("pksai.core.files.SettingDirStorage", (), {"setting": self.setting})


def storage(kind: str) -> Storage:
    """The storage for one kind of file (``attachments``, ``imports`` or ``default``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown storage kind {kind!r}; one of {', '.join(KINDS)}")
    return storages[kind]


def save_bytes(kind: str, name: str, data: bytes) -> str:
    """Write ``data`` under ``name`` (a generated, unguessable name); returns the stored name."""
    return storage(kind).save(name, ContentFile(data))


def save_chunks(kind: str, name: str, upload) -> str:
    """Write an uploaded file (Django ``UploadedFile`` or any file object) without reading it
    whole into memory; returns the stored name."""
    content = upload if isinstance(upload, File) else File(upload, name=name)
    return storage(kind).save(name, content)


def open_file(kind: str, name: str, mode: str = "rb") -> File:
    return storage(kind).open(name, mode)


def exists(kind: str, name: str) -> bool:
    return bool(name) and storage(kind).exists(name)


def delete(kind: str, name: str) -> None:
    if name:
        storage(kind).delete(name)


def local_path(kind: str, name: str) -> Path | None:
    """The file's path when the storage is a local (or mounted) directory, else None."""
    try:
        return Path(storage(kind).path(name))
    except NotImplementedError:  # object storage has no paths
        return None


@contextmanager
def local_copy(kind: str, name: str) -> Iterator[Path]:
    """A path on this machine holding the stored file, for readers that need a path (Polars,
    DuckDB): the file itself in directory mode, a temporary copy (removed afterwards) in object
    storage."""
    path = local_path(kind, name)
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="pksai-") as tmp:
        target = Path(tmp) / Path(name).name
        with storage(kind).open(name, "rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, length=1024 * 1024)
        yield target


def list_files(kind: str, prefix: str = "") -> list[str]:
    """Every stored name of one kind (recursively), sorted — used by backups."""
    store = storage(kind)
    names: list[str] = []
    pending = [prefix.rstrip("/")]
    while pending:
        directory = pending.pop()
        try:
            subdirs, files = store.listdir(directory)
        except FileNotFoundError:
            continue
        join = lambda n, d=directory: f"{d}/{n}" if d else n  # noqa: E731
        names.extend(join(f) for f in files)
        pending.extend(join(d) for d in subdirs)
    return sorted(names)


def storages_setting(env) -> dict:
    """``settings.STORAGES`` for ``PKSAI_STORAGE`` (``dir`` or ``s3``); see docs/operations.md."""
    kind = env.get("PKSAI_STORAGE", "dir").strip().lower() or "dir"
    static = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}
    if kind == "dir":
        return {
            "default": {
                "BACKEND": "pksai.core.files.SettingDirStorage",
                "OPTIONS": {"setting": "MEDIA_ROOT"},
            },
            "attachments": {
                "BACKEND": "pksai.core.files.SettingDirStorage",
                "OPTIONS": {"setting": "ATTACHMENT_ROOT", "directory_permissions_mode": 0o700},
            },
            "imports": {
                "BACKEND": "pksai.core.files.SettingDirStorage",
                "OPTIONS": {"setting": "IMPORT_ROOT", "directory_permissions_mode": 0o700},
            },
            "staticfiles": static,
        }
    if kind == "s3":
        bucket = env.get("PKSAI_S3_BUCKET", "")
        if not bucket:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("PKSAI_STORAGE=s3 needs PKSAI_S3_BUCKET")
        common = {
            "bucket_name": bucket,
            "endpoint_url": env.get("PKSAI_S3_ENDPOINT_URL") or None,
            "region_name": env.get("PKSAI_S3_REGION") or None,
            "access_key": env.get("PKSAI_S3_ACCESS_KEY_ID") or None,
            "secret_key": env.get("PKSAI_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        }
        backend = "storages.backends.s3.S3Storage"
        return {
            "default": {"BACKEND": backend, "OPTIONS": {**common, "location": "media"}},
            "attachments": {"BACKEND": backend, "OPTIONS": {**common, "location": "attachments"}},
            "imports": {"BACKEND": backend, "OPTIONS": {**common, "location": "imports"}},
            "staticfiles": static,
        }
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"PKSAI_STORAGE must be 'dir' or 's3', not {kind!r}")
