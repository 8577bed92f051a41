from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pksai.accounts.demo import DEMO_PASSWORD, demo_accounts
from pksai.accounts.models import User
from pksai.areas.boundaries import boundaries_load_shipped
from pksai.areas.models import Area
from pksai.cases.demo import demo_cases
from pksai.grievances.demo import demo_complaints
from pksai.monitoring.demo import demo_finance
from pksai.payments.demo import demo_payments
from pksai.privacy.demo import demo_privacy
from pksai.programs.demo import demo_programs
from pksai.referrals.demo import demo_referrals
from pksai.registry.demo import demo_registry
from pksai.vulnerability.services import score_people


class Command(BaseCommand):
    help = (
        "Demo data for the five pilot sites: users per role, a synthetic registry, scores, "
        "cases in every stage, service providers and referrals, program quotas, rounds and "
        "beneficiaries."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if the database has users."
        )
        parser.add_argument(
            "--households",
            type=int,
            default=2_000,
            help="Size of the synthetic registry extract for the pilot regencies.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo even with DEBUG off (it creates accounts with a published "
            "password: never on a server holding real data).",
        )

    def handle(
        self,
        *args,
        if_empty: bool = False,
        households: int = 2_000,
        force: bool = False,
        **options,
    ):
        if if_empty and User.objects.exists():
            self.stdout.write("The database already has users; demo data not loaded.")
            return
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "The demo creates about 50 accounts with a published password, so it runs "
                    "only with DEBUG=1 (a development machine). To load it anyway, on a server "
                    "that holds no real data, add --force."
                )
            )
        if not Area.objects.exists():
            call_command("load_areas", stdout=self.stdout)
        outlines = boundaries_load_shipped()
        if outlines is None:
            self.stdout.write(
                "No area outlines ship with PKSAI yet (decision 0029): the indicator pages "
                "show their tables without a map until `pksai load-boundaries` is run."
            )
        else:
            counts = ", ".join(f"{k} {v:,}" for k, v in outlines.as_dict().items())
            self.stdout.write(f"Area outlines: {counts}.")
        users = demo_accounts()
        batch = demo_registry(households=households)
        if batch is not None:
            summary = ", ".join(f"{k} {v:,}" for k, v in batch.summary().items())
            self.stdout.write(f"Demo registry ({batch.source}): {summary}.")
        run = score_people()
        levels = ", ".join(f"{k} {v:,}" for k, v in run.by_level.items())
        self.stdout.write(f"Scored {run.scored:,} children with {run.ruleset}: {levels}.")
        cases = demo_cases()
        if cases:
            stages = ", ".join(f"{stage} {n}" for stage, n in sorted(cases.items()))
            self.stdout.write(f"Demo cases: {cases.total():,} ({stages}).")
        referrals = demo_referrals()
        if referrals.providers or referrals.referrals:
            statuses = ", ".join(f"{s} {n}" for s, n in sorted(referrals.referrals.items()))
            self.stdout.write(
                f"Demo providers: {referrals.providers}, "
                f"referrals: {referrals.referrals.total()} ({statuses or 'none'})."
            )
        programs = demo_programs()
        if programs.quotas or programs.rounds or programs.beneficiaries:
            self.stdout.write(
                f"Demo programs: quotas {programs.quotas}, rounds {programs.rounds}, "
                f"beneficiaries {programs.beneficiaries}."
            )
        payments = demo_payments()
        if payments.cycles or payments.batches:
            self.stdout.write(
                f"Demo payments: cycles {payments.cycles}, batches {payments.batches}, "
                f"delivery events {payments.events}."
            )
        complaints = demo_complaints()
        if complaints.total():
            statuses = ", ".join(f"{s} {n}" for s, n in sorted(complaints.by_status.items()))
            self.stdout.write(
                f"Demo complaints: {complaints.total()} ({statuses}; escalated "
                f"{complaints.escalated}, restricted {complaints.restricted})."
            )
        privacy = demo_privacy()
        if privacy.requests or privacy.breaches:
            self.stdout.write(
                f"Demo data protection: requests {privacy.requests}, breaches "
                f"{privacy.breaches}, legal grounds {privacy.legal_grounds}."
            )
        spending = demo_finance()
        if spending.created or spending.updated or spending.index_years:
            self.stdout.write(
                f"Demo finance: budget lines {spending.created} new, {spending.updated} "
                f"updated, {spending.rejected} rejected; price index years {spending.index_years}."
            )
        users += referrals.users
        self.stdout.write(self.style.SUCCESS(f"Demo users (password: {DEMO_PASSWORD}):"))
        for username, role, scope in users:
            self.stdout.write(f"  {username:<34} {role:<20} {scope}")
