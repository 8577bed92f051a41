"""Every word the field app shows, through gettext (so they are in the .po catalogue): the
shell embeds them as JSON in the reader's language; app.js reads them with ``t(key)``.
``tests/test_strings.py`` fails on a key the JavaScript uses that is missing here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pksai.cases.models import Assessment, Concern, Domain, Rating
from pksai.cases.workflow import Stage
from pksai.field.kinds import KINDS
from pksai.programs.models import Topic
from pksai.vulnerability.models import OutreachResult

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
    # recording offline (decision 0037)
    "record": _("Record"),
    "new_visit": _("Record a visit"),
    "new_assessment": _("Record an assessment"),
    "new_note": _("Add a note"),
    "edit_summary": _("Change the case summary"),
    "edit_visit": _("Correct the visit"),
    "new_facilitation": _("Record a facilitation visit"),
    "record_outcome": _("Record the outcome"),
    "report_child": _("Report a new child"),
    "new_photo": _("Add a photo"),
    "photo": _("Photo"),
    "photo_hint": _(
        "Take it with the camera or choose one. It is made smaller on this device (at most "
        "1600 pixels) and kept encrypted until the sync sends it."
    ),
    "photo_title": _("What the photo shows"),
    "choose_photo": _("Take or choose a photo."),
    "photo_unreadable": _("This file is not a photo this device can read."),
    "photo_too_big": _(
        "The photo is still larger than %(max)s MB after making it smaller. Take it again "
        "with a lower camera resolution."
    ),
    "save_offline": _("Save on this device"),
    "saved_offline": _("Saved on this device. It is sent at the next sync."),
    "visit_date": _("Date of the visit"),
    "visit_time": _("Time of the visit"),
    "seen_hint": _("Who you met, e.g. “the child and her grandmother”."),
    "observations": _("What you observed"),
    "gps": _("Add my position (GPS)"),
    "summary": _("Summary"),
    "assessment_kind": _("Kind of assessment"),
    "domains": _("Domains (rate each one to complete the assessment)"),
    "domain_notes": _("Notes on %(domain)s"),
    "complete_assessment": _("The assessment is complete"),
    "note": _("Note"),
    "notes": _("Notes"),
    "topics": _("Topics of the visit"),
    "outcome": _("Outcome of the visit"),
    "case_opened": _("Case opened"),
    "case_opened_hint": _("Only when the outcome is “case opened”."),
    "report_summary": _("What did you see or hear?"),
    "report_summary_hint": _("Who the child is, where, and why you are worried."),
    "reporter_anonymous": _("The reporter wants to stay anonymous"),
    "reporter_name": _("Name of the reporter"),
    # the device's checks (the server checks the same)
    "required": _("Fill this in."),
    "need_date": _("Give a date."),
    "future_date": _("The date cannot be in the future."),
    "future_time": _("The time cannot be in the future."),
    "date_before": _("The date cannot be before %(date)s."),
    "choose_risk": _("Give the overall risk: low, medium or high."),
    "rate_domain": _("Rate this domain to complete the assessment."),
    "choose_topic": _("Choose at least one topic of the visit."),
    "choose_outcome": _("Choose the outcome of the visit."),
    "choose_case": _("Give the case that was opened."),
    "case_only_opened": _("A case is given only when one was opened."),
    "need_area": _("Give the village code, e.g. 73.71.01.1001."),
    "need_phone": _("Give a phone number (digits only)."),
    "no_change": _("Nothing was changed."),
    "form_errors": _("Check the form: %(count)s fields need attention."),
    # sync
    "sync_title": _("Sync"),
    "sync_now": _("Sync now"),
    "sync_progress": _("%(sent)s of %(total)s sent"),
    "sync_done": _("Sync finished: %(sent)s sent."),
    "sync_done_problems": _("Sync finished: %(failed)s failed, %(conflicts)s conflicts to choose."),
    "sync_stopped": _("The connection was lost: the rest waits and is sent at the next sync."),
    "sync_offline": _("You are offline: syncing needs a connection."),
    "last_sync": _("Last sync"),
    "waiting": _("waiting to send"),
    "failed": _("failed"),
    "sent": _("sent"),
    "conflict": _("conflict"),
    "conflicts": _("Conflicts"),
    "waiting_title": _("Waiting to send"),
    "nothing_waiting": _("Nothing is waiting to be sent."),
    "failed_title": _("Failed"),
    "failed_hint": _(
        "The server refused these changes for the reason shown. Correct the cause (or ask your "
        "supervisor) and try again, or discard the change."
    ),
    "try_again": _("Try again"),
    "discard": _("Discard"),
    "discard_confirm": _("Discard this change? It was never saved on the server."),
    "queued_at": _("saved %(time)s"),
    "conflicts_title": _("Conflicts to choose"),
    "conflicts_hint": _(
        "Someone else changed the same field while you were offline. Nothing was overwritten: "
        "choose which value stays (the web inbox shows the same choice)."
    ),
    "no_conflicts": _("No conflicts."),
    "record_of": _("%(kind)s %(id)s"),
    "mine": _("Mine"),
    "theirs": _("On the server"),
    "keep_mine": _("Keep mine"),
    "take_theirs": _("Take the server's"),
    "conflict_settled": _("The conflict is settled."),
    "conflict_refused": _("Could not settle the conflict: %(reason)s"),
    "sent_title": _("Sent"),
    "nothing_sent": _("Nothing sent yet."),
}

LABELS = {
    "stage": dict(Stage.choices),
    "risk": dict(Rating.choices),
    "concern": dict(Concern.choices),
    "assessment": dict(Assessment.Kind.choices),
    "sex": {"M": _("male"), "F": _("female")},
    "domain": dict(Domain.choices),
    "topic": dict(Topic.choices),
    "outcome": dict(OutreachResult.Outcome.choices),
    "kind": {name: kind.label for name, kind in KINDS.items()},
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
