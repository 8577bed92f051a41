from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from pksai.accounts.commands import command_user
from pksai.dci import crvs
from pksai.registry.models import Person
from pksai.registry.selectors import person_get


class Command(BaseCommand):
    help = (
        "Ask the DCI civil registry (PKSAI_DCI_CRVS_URL) for a person's birth registration "
        "by NIK (or name and date of birth) and record the answer: NIK verified, birth "
        "certificate number and date (decision 0039, docs/dci.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--person", type=int, required=True, help="Registry person id.")
        parser.add_argument(
            "--user", help="Check as this user (the person must be in the user's scope)."
        )

    def handle(self, *args, person, user=None, **options):
        by = None
        if user:
            by = command_user(user)
            try:
                found = person_get(user=by, pk=person)
            except Http404 as exc:
                raise CommandError(
                    _("No person %(p)s in the scope of %(u)s.") % {"p": person, "u": user}
                ) from exc
        else:
            found = Person.objects.filter(pk=person).first()
            if found is None:
                raise CommandError(_("No person %(p)s.") % {"p": person})
        try:
            record = crvs.birth_check(person=found, by=by)
        except crvs.CrvsNotConfigured as exc:
            raise CommandError(str(exc)) from exc
        verified = {True: "yes", False: "no", None: "-"}[record.nik_verified]
        self.stdout.write(
            f"person {found.pk}: {record.outcome}; NIK verified {verified}; "
            f"certificate {record.certificate_number or '-'}; "
            f"registered {record.registered_on or '-'}"
            + (f"; {record.error}" if record.error else "")
        )
        if record.outcome == record.Outcome.ERROR:
            raise CommandError(
                _("The civil registry could not answer: %(e)s") % {"e": record.error}
            )
