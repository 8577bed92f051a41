"""Every word the field app shows, through gettext (so they are in the .po catalogue): the
shell embeds them as JSON in the reader's language; app.js reads them with ``t(key)``.
``tests/test_strings.py`` fails on a key the JavaScript uses that is missing here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pksai.cases.models import Assessment, Concern, Rating
from pksai.cases.workflow import Stage

WORDS = {
    "offline": _("Offline"),
    "online": _("Online"),
    "data_from": _("data from %(time)s"),
    "no_data_yet": _("nothing taken offline yet"),
    "no_crypto": _(
        "This browser cannot keep data encrypted (it needs a secure connection and a recent "
        "browser). Nothing is kept on this device."
    ),
    # PIN
    "set_pin_title": _("Choose a PIN for this device"),
    "set_pin_hint": _(
        "Data you take offline are encrypted with this PIN. At least 6 digits; you need it "
        "each time you open the app. Without it nobody, not even you, can read the data."
    ),
    "pin": _("PIN"),
    "pin_again": _("PIN again"),
    "pin_short": _("The PIN must have at least 6 digits."),
    "pin_mismatch": _("The two PINs are not the same."),
    "save_pin": _("Save PIN"),
    "unlock_title": _("Enter your PIN"),
    "unlock_hint": _("The data on this device are locked."),
    "unlock": _("Open"),
    "pin_wrong": _("Wrong PIN. %(left)s tries left before the data on this device are erased."),
    "pin_wiped": _(
        "Too many wrong PINs: the data on this device were erased. Take them offline again."
    ),
    "expired_wiped": _(
        "The data on this device were erased: they were not synced for more than %(days)s days."
    ),
    "lock": _("Lock"),
    # taking offline
    "take_title": _("Take offline"),
    "take_hint": _("Choose what to keep on this device. Only do this on your own phone."),
    "take_cases": _("My open cases"),
    "take_beneficiaries": _("My beneficiaries"),
    "take_outreach": _("A village's outreach list"),
    "village_code": _("Village code"),
    "village_hint": _("For example 73.71.01.1001"),
    "device_label": _("Name of this device"),
    "device_hint": _("Recorded in the audit trail, e.g. “Fitri's phone”."),
    "take_button": _("Take offline"),
    "taken": _("%(count)s records kept on this device."),
    "take_failed": _("Could not take the data offline: %(reason)s"),
    "take_needs_online": _("You are offline: taking data needs a connection."),
    "signed_out": _("You are signed out. Sign in again to take data offline."),
    "not_found": _("Not found or not in your area."),
    "forbidden": _("Your role may not take these data."),
    # pages
    "home": _("Field app"),
    "cases": _("My cases"),
    "case": _("Case"),
    "beneficiaries": _("My beneficiaries"),
    "outreach": _("Outreach list"),
    "back": _("Back"),
    "empty_cases": _("No cases on this device. Take your open cases offline while online."),
    "empty_beneficiaries": _("No beneficiaries on this device."),
    "empty_outreach": _("No outreach list on this device."),
    "records": _("%(count)s records"),
    "stage": _("Stage"),
    "due": _("Due"),
    "overdue": _("overdue"),
    "born": _("Born"),
    "concerns": _("Concerns"),
    "place": _("Place"),
    "guardians": _("Family and guardians"),
    "phone": _("Phone"),
    "assessment": _("Latest assessment"),
    "risk": _("Risk"),
    "completed": _("completed"),
    "not_completed": _("not completed"),
    "visits": _("Last visits"),
    "no_visits": _("No visits recorded."),
    "seen": _("Seen"),
    "next_step": _("Next step"),
    "no_next_step": _("No open plan action."),
    "restricted": _("restricted"),
    "last_visit": _("Last visit"),
    "visit_count": _("Visits"),
    "never": _("never"),
    "age": _("Age"),
    "head": _("Head of household"),
    "why": _("Why"),
    "village": _("Village"),
    "erase": _("Erase the data on this device"),
    "erase_confirm": _("Erase every case and list kept on this device?"),
    "erased": _("The data on this device were erased."),
    "outbox": _("Waiting to be sent: %(count)s"),
}

LABELS = {
    "stage": dict(Stage.choices),
    "risk": dict(Rating.choices),
    "concern": dict(Concern.choices),
    "assessment": dict(Assessment.Kind.choices),
    "sex": {"M": _("male"), "F": _("female")},
}


def field_strings() -> dict:
    """The words and labels in the active language, ready for json_script."""
    return {
        "words": {key: str(value) for key, value in WORDS.items()},
        "labels": {
            group: {code: str(label) for code, label in choices.items()}
            for group, choices in LABELS.items()
        },
    }
