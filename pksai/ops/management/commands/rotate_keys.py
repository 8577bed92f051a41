"""`pksai rotate-keys`: re-seal every encrypted column with the current key and re-hash NIKs
under the current hash key (decision 0024, docs/operations.md "Field encryption keys")."""

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from pksai.core import crypto
from pksai.core.rotation import Counts, encrypted_columns, reseal_column


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the first key of PKSAI_FIELD_KEYS (values under "
        "an older key, or still in clear) and re-compute the keyed NIK hashes with the first key "
        "of PKSAI_NIK_HASH_KEY when an older hash key is listed after it. Chunked: safe to stop "
        "and run again while the application runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="Print a fresh random key (to put first in PKSAI_FIELD_KEYS or "
            "PKSAI_NIK_HASH_KEY) and change nothing.",
        )
        parser.add_argument(
            "--rehash",
            action="store_true",
            help="Re-compute every NIK hash even when only one hash key is configured.",
        )

    def handle(self, *args, new_key: bool, rehash: bool, verbosity: int, **options):
        if new_key:
            self.stdout.write(crypto.new_key())
            return
        ring = crypto.keyring()
        rehash = rehash or len(settings.PKSAI_NIK_HASH_KEYS) > 1
        self.stdout.write(
            _("Current field key %(id)s (%(n)d older); NIK hashes %(what)s.")
            % {
                "id": ring.current_id,
                "n": len(ring.field_keys) - 1,
                "what": _("re-computed") if rehash else _("filled where missing"),
            }
        )
        total = Counts("")
        for column in encrypted_columns(apps.get_models()):
            counts = reseal_column(column, rehash=rehash, ring=ring)
            total.resealed += counts.resealed
            total.rehashed += counts.rehashed
            if verbosity >= 1:
                line = _("%(column)s: %(sealed)d re-encrypted") % {
                    "column": column.label,
                    "sealed": counts.resealed,
                }
                if column.hash_column:
                    line += _(", %(hashed)d hashes changed") % {"hashed": counts.rehashed}
                self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Done: %(sealed)d values re-encrypted, %(hashed)d NIK hashes changed. Every "
                    "value is now under key %(id)s: older keys may be removed from "
                    "PKSAI_FIELD_KEYS%(hash)s."
                )
                % {
                    "sealed": total.resealed,
                    "hashed": total.rehashed,
                    "id": ring.current_id,
                    "hash": _(" and PKSAI_NIK_HASH_KEY") if rehash else "",
                }
            )
        )
