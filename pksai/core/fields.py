"""Model fields whose values are stored sealed (``pksai.core.crypto``, decision 0024).

``EncryptedCharField`` and ``EncryptedTextField`` behave as ``CharField`` / ``TextField`` in
Python, forms and the admin (``max_length`` still validates input), but the column is ``text``
holding the sealed value. The database cannot compare them: the only lookups allowed are
``isnull`` and equality with ``''`` (blank or not). Searching a NIK goes through the keyed hash
column (``registry.selectors.nik_q``); any other lookup raises at once instead of silently
finding nothing.
"""

from __future__ import annotations

import json

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull

from pksai.core import crypto


class EncryptedExact(Exact):
    """``field=''`` (blank) only: a sealed value never equals a clear one."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None) and not hasattr(self.rhs, "resolve_expression"):
            raise FieldError(
                f"{self.lhs.target.model.__name__}.{self.lhs.target.name} is encrypted: it can "
                "only be compared with '' (search a NIK through its keyed hash)."
            )
        return super().get_prep_lookup()


class EncryptedMixin:
    """Seal on the way to the database, open on the way back."""

    def db_type(self, connection):
        return connection.data_types["TextField"]

    def cast_db_type(self, connection):
        return self.db_type(connection)

    def rel_db_type(self, connection):
        return self.db_type(connection)

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value, expression, connection):
        return crypto.open_(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.seal(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return EncryptedExact
        if lookup_name == "isnull":
            return IsNull
        return None  # FieldError: "Unsupported lookup …"

    def get_transform(self, lookup_name):
        return None


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A short text (a phone, a name, a NIK) stored sealed; ``max_length`` limits the input."""

    def check(self, **kwargs):
        return [e for e in super().check(**kwargs) if e.id != "fields.E120"]


class EncryptedTextField(EncryptedMixin, models.TextField):
    """A longer text (a note, observations) stored sealed."""


class EncryptedJSONField(EncryptedMixin, models.JSONField):
    """A JSON value (e.g. a referral's snapshot of what it shares: NIK, guardians' phones)
    stored as sealed JSON text. Nothing inside it can be queried."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(crypto.open_(value), cls=self.decoder)

    def get_prep_value(self, value):
        if value is None:
            return None
        return crypto.seal(json.dumps(value, cls=self.encoder))

    def get_db_prep_value(self, value, connection, prepared=False):
        return value if prepared else self.get_prep_value(value)

    def get_db_prep_save(self, value, connection):
        return self.get_db_prep_value(value, connection)

    def select_format(self, compiler, sql, params):
        return sql, params


def seal_frame(model, frame):
    """``frame`` (rows of ``model`` on their way to COPY or a bulk update) with every encrypted
    column sealed, whole columns at a time. A keyed-hash column beside an encrypted one
    (``nik`` → ``nik_hash``) is computed from the clear values first when the frame lacks it."""
    ring = crypto.keyring()
    names = {f.name for f in model._meta.concrete_fields}
    for field in model._meta.concrete_fields:
        if not isinstance(field, EncryptedMixin) or field.column not in frame.columns:
            continue
        hashed = f"{field.name}_hash"
        if hashed in names and hashed not in frame.columns:
            frame = frame.with_columns(crypto.nik_hash_column(field.column, ring).alias(hashed))
        frame = frame.with_columns(crypto.seal_column(field.column, ring).alias(field.column))
    return frame
