import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.registry.synth import synth_registry_for_regencies
from pksai.registry.synth_editions import synth_next_edition

FORMATS = (".csv", ".parquet")


def _read(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".csv":
        return pl.read_csv(path, infer_schema=False).with_columns(pl.all().fill_null(""))
    return pl.read_parquet(path)


def _write(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path)


class Command(BaseCommand):
    help = (
        "Write a synthetic social-registry extract (docs/registry-format.md) for the loaded "
        "villages of the given regencies: for tests, the demo and benchmarks. "
        "The same seed gives the same file. With --next-of, write the next edition of an "
        "extract instead: the same people a year on (moves, typos, missing or mistyped NIKs, "
        "births, people gone, new people) and, with --truth, who is who in both editions "
        "(docs/linkage.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--regencies",
            help="Comma-separated regency codes, with or without dots: 7371,7306 or 73.71.",
        )
        parser.add_argument("--households", type=int, help="Number of households to write.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (default 1); same seed, same file."
        )
        parser.add_argument("--out", required=True, help="Output file: .csv or .parquet.")
        parser.add_argument(
            "--next-of",
            metavar="PREVIOUS",
            help=_(
                "Write the next edition of this extract (.csv or .parquet, as this command "
                "writes it) instead of a new one; --regencies and --households are not used."
            ),
        )
        parser.add_argument(
            "--truth",
            help=_(
                "With --next-of: also write the truth (.csv or .parquet): edition (1 = "
                "previous, 2 = next), household_id, person_id and true_person for every row "
                "of both editions."
            ),
        )
        parser.add_argument(
            "--changed",
            type=float,
            default=0.10,
            help=_(
                "With --next-of: share of people with a change (household or person moved, "
                "name typo or variant, NIK missing or mistyped, birth date mistyped); "
                "default 0.10."
            ),
        )
        parser.add_argument(
            "--gone",
            type=float,
            default=0.05,
            help=_("With --next-of: share of people absent (died or left); default 0.05."),
        )
        parser.add_argument(
            "--new",
            type=float,
            default=0.05,
            help=_("With --next-of: new people in new households, as a share; default 0.05."),
        )
        parser.add_argument(
            "--births",
            type=float,
            default=0.02,
            help=_("With --next-of: children born since, as a share; default 0.02."),
        )
        parser.add_argument(
            "--days-later",
            type=int,
            default=365,
            help=_("With --next-of: days between the two editions (ages, births); default 365."),
        )

    def handle(self, *args, out: str, seed: int, **options):
        path = Path(out)
        if path.suffix.lower() not in FORMATS:
            raise CommandError(f"{path.name}: the output file must end in .csv or .parquet")
        if seed < 0:
            raise CommandError("--seed must be zero or positive")
        if options["next_of"]:
            self._next_edition(path, seed=seed, **options)
            return
        regencies, households = options["regencies"], options["households"]
        if not regencies or households is None:
            raise CommandError(_("--regencies and --households are required (or --next-of)."))
        if households < 1:
            raise CommandError("--households must be at least 1")
        codes = [c.strip() for c in regencies.split(",") if c.strip()]
        started = time.perf_counter()
        try:
            frame = synth_registry_for_regencies(
                regencies=codes, households=households, seed=seed, today=timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        _write(frame, path)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {frame.height:,} rows ({households:,} households) to {path} "
                f"in {elapsed:.2f} s."
            )
        )

    def _next_edition(self, path: Path, *, seed: int, next_of: str, truth: str | None, **o):
        previous_path = Path(next_of)
        truth_path = Path(truth) if truth else None
        for candidate in (previous_path, truth_path):
            if candidate is not None and candidate.suffix.lower() not in FORMATS:
                raise CommandError(
                    _("%(name)s: the file must end in .csv or .parquet") % {"name": candidate}
                )
        if not previous_path.exists():
            raise CommandError(_("%(name)s: no such file") % {"name": previous_path})
        if o["days_later"] < 1:
            raise CommandError(_("--days-later must be at least 1"))
        started = time.perf_counter()
        previous = _read(previous_path)
        today: date = timezone.localdate() + timedelta(days=o["days_later"])
        try:
            edition = synth_next_edition(
                previous,
                seed=seed,
                today=today,
                changed=o["changed"],
                gone=o["gone"],
                new=o["new"],
                births=o["births"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        _write(edition.frame, path)
        if truth_path is not None:
            _write(edition.truth, truth_path)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Wrote the next edition of %(previous)s (%(before)s rows) to %(out)s: "
                    "%(after)s rows, in %(seconds).2f s."
                )
                % {
                    "previous": previous_path,
                    "before": f"{previous.height:,}",
                    "out": path,
                    "after": f"{edition.frame.height:,}",
                    "seconds": time.perf_counter() - started,
                }
            )
        )
        if truth_path is not None:
            self.stdout.write(_("Truth: %(path)s") % {"path": truth_path})
