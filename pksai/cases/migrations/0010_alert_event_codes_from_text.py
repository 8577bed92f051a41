# Existing alerts and timeline events: read the sentence that was stored (in Indonesian, or in
# English when written during an English request) back into a code and its params, so that
# they are shown in the reader's language too; alerts whose thing is already done (the case
# moved on or closed, the referral answered) are marked done. What cannot be read stays as it
# is, shown as stored. Converted alerts keep their text; converted events keep in ``text``
# only what a person typed (notes, decisions, observations). Batched by primary key.
#
# Self-contained on purpose (no app imports): the templates and labels below are the English
# msgids and Indonesian msgstrs the sentences were written with.

import re
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.db.models import Max, Q
from django.utils import timezone

BATCH = 2000

# value → (English label, Indonesian label), as written
STAGES = {
    "triage": ("registered, awaiting triage", "teregistrasi, menunggu triase"),
    "assessment": ("comprehensive assessment", "asesmen komprehensif"),
    "planning": ("case plan", "penyusunan rencana kasus"),
    "plan_review": ("case plan awaiting approval", "rencana kasus menunggu persetujuan"),
    "implementation": ("implementation", "pelaksanaan"),
    "closure_review": ("closure awaiting approval", "penutupan kasus menunggu persetujuan"),
    "follow_up": ("post-service monitoring", "pemantauan pascalayanan"),
    "closed": ("closed", "ditutup"),
    "void": ("void", "batal"),
}
EMERGENCY = {
    "protection": ("protective service", "layanan perlindungan"),
    "medical": ("medical care", "perawatan medis"),
    "shelter": ("shelter", "rumah aman"),
    "legal_aid": ("legal aid", "bantuan hukum"),
    "police": ("police", "kepolisian"),
}
ASSESSMENT = {
    "initial": ("initial assessment", "asesmen awal"),
    "comprehensive": ("comprehensive assessment", "asesmen komprehensif"),
}
RISK = {"low": ("low", "rendah"), "medium": ("medium", "sedang"), "high": ("high", "tinggi")}
PLAN_STATUS = {
    "planned": ("planned", "direncanakan"),
    "in_progress": ("in progress", "sedang berjalan"),
    "done": ("done", "selesai"),
    "cancelled": ("cancelled", "dibatalkan"),
}
EMERGENCY_PENDING = ("emergency action not yet started", "tindakan darurat belum dimulai")
ON_BEHALF = (
    "(recorded by case staff for the provider)",
    "(dicatat oleh petugas kasus atas nama penyedia layanan)",
)
ENDED = {"closed", "void"}
# referral statuses while its alert is still a to-do
LIVE_WHILE = {
    "referral_overdue_answer": {"sent", "acknowledged"},
    "referral_overdue_service": {"accepted", "in_service"},
    "referral_declined": {"declined"},
    "referral_delivered": {"delivered"},
}
STAGE_ALERTS = {
    "case_assigned_triage",
    "case_assigned",
    "case_transferred",
    "plan_awaits_approval",
    "closure_awaits_approval",
    "case_moved",
    "case_overdue",
}

# code → (English, Indonesian) sentence; {name} is a param. "awaits_approval" becomes the
# plan's or the closure's by the case's stage.
ALERTS = {
    "case_assigned_triage": (
        "New case {number} assigned to you for triage.",
        "Kasus baru {number} ditugaskan kepada Anda untuk triase.",
    ),
    "awaits_approval": (
        "Case {number} awaits your approval.",
        "Kasus {number} menunggu persetujuan Anda.",
    ),
    "case_assigned": (
        "Case {number} is now yours. Pending: {pending}",
        "Kasus {number} kini menjadi tanggung jawab Anda. Belum selesai: {pending}",
    ),
    "case_transferred": (
        "Case {number} was transferred to you.",
        "Kasus {number} dialihkan kepada Anda.",
    ),
    "case_overdue": (
        "Case {number} is overdue: “{stage}” was due {due}.",
        "Kasus {number} terlambat: tenggat tahap “{stage}” adalah {due}.",
    ),
    "case_moved": ("Case {number}: {stage}.", "Kasus {number}: {stage}."),
    "referral_declined": (
        "Referral {number} was declined by {organisation}: {reason}",
        "Rujukan {number} ditolak oleh {organisation}: {reason}",
    ),
    "referral_delivered": (
        "Referral {number}: {organisation} delivered the service.",
        "Rujukan {number}: {organisation} telah memberikan layanan.",
    ),
    "referral_overdue_answer": (
        "Referral {number} to {organisation} is overdue: no answer since {sent}.",
        "Rujukan {number} ke {organisation} terlambat: belum ada jawaban sejak {sent}.",
    ),
    "referral_overdue_service": (
        "Referral {number} to {organisation} is overdue: service due {due}.",
        "Rujukan {number} ke {organisation} terlambat: tenggat layanan {due}.",
    ),
}
EVENTS = {
    "assessment_completed": (
        "{kind} completed: overall risk {risk}.",
        "{kind} selesai: risiko keseluruhan {risk}.",
    ),
    "conference_held": (
        "Case conference on {date}: {text}",
        "Konferensi kasus tanggal {date}: {text}",
    ),
    "visit_made": (
        "Visit on {date} at {place}, saw {seen}: {text}",
        "Kunjungan tanggal {date} di {place}, menemui {seen}: {text}",
    ),
}
FIELD = {
    "number": r"[^\s:]+",
    "due": r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?",
    "sent": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}",
    "date": r"\d{4}-\d{2}-\d{2}",
}
REFERRAL_NUMBER = re.compile(r"(?:Referral|Rujukan) ([^\s:]+)")
SENT_FORMAT = "%Y-%m-%d %H:%M"


def _label_to_value(table):
    return {label: value for value, labels in table.items() for label in labels}


STAGE_OF, EMERGENCY_OF = _label_to_value(STAGES), _label_to_value(EMERGENCY)
ASSESSMENT_OF, RISK_OF = _label_to_value(ASSESSMENT), _label_to_value(RISK)
PLAN_STATUS_OF = _label_to_value(PLAN_STATUS)


def _pattern(template, fixed):
    parts = re.split(r"\{(\w+)\}", template)
    regex = ""
    for i, part in enumerate(parts):
        if i % 2 == 0:
            regex += re.escape(part)
        elif part in fixed:
            regex += f"(?P<{part}>{re.escape(fixed[part])})"
        else:
            regex += f"(?P<{part}>{FIELD.get(part, '.*?')})"
    return re.compile(regex, re.DOTALL)


def _match(sentences, text, fixed=None):
    """The params of the first of (English, Indonesian) ``sentences`` ``text`` is, or None."""
    for template in sentences:
        found = _pattern(template, fixed or {}).fullmatch(text)
        if found:
            return found.groupdict()
    return None


# --- alerts ----------------------------------------------------------------------------


def _pending(text):
    """ "[emergency; ]stage[; action (YYYY-MM-DD)]…" → params, or None."""
    items = text.split("; ")
    emergency = items[0] in EMERGENCY_PENDING
    if emergency:
        items = items[1:]
    if not items or items[0] not in STAGE_OF:
        return None
    actions = []
    for item in items[1:]:
        found = re.fullmatch(r"(.*) \((\d{4}-\d{2}-\d{2})\)", item, re.DOTALL)
        if not found:
            return None
        actions.append([found[1], found[2]])
    return {"stage": STAGE_OF[items[0]], "emergency": emergency, "actions": actions}


def _read_alert(alert, referral, zone):
    """(code, params, ref) for a legacy alert's sentence, or None."""
    if referral is not None:
        fixed = {"number": referral["number"], "organisation": referral["org"]}
        for code in LIVE_WHILE:
            values = _match(ALERTS[code], alert.text, fixed)
            if values is None:
                continue
            params = {
                "referral": referral["pk"],
                "number": referral["number"],
                "organisation": referral["org"],
            }
            if code == "referral_declined":
                params["reason"] = values["reason"]
            elif code == "referral_overdue_answer":
                params["sent"] = referral["sent_at"].isoformat()
            elif code == "referral_overdue_service":
                params["due"] = values["due"]
            return code, params, f"referral:{referral['pk']}"
        return None
    for code in ("case_assigned_triage", "awaits_approval", "case_transferred"):
        values = _match(ALERTS[code], alert.text)
        if values:
            return code, {"number": values["number"]}, ""
    values = _match(ALERTS["case_assigned"], alert.text)
    if values:
        pending = _pending(values["pending"])
        return ("case_assigned", {"number": values["number"], **pending}, "") if pending else None
    values = _match(ALERTS["case_overdue"], alert.text)
    if values and values["stage"] in STAGE_OF:
        due = datetime.strptime(values["due"], SENT_FORMAT).replace(tzinfo=zone)
        params = {
            "number": values["number"],
            "stage": STAGE_OF[values["stage"]],
            "due": due.astimezone(ZoneInfo("UTC")).isoformat(),
        }
        return "case_overdue", params, ""
    values = _match(ALERTS["case_moved"], alert.text)
    if values and values["stage"] in STAGE_OF:
        return "case_moved", {"number": values["number"], "stage": STAGE_OF[values["stage"]]}, ""
    return None


def _awaits_which(case, submissions, paired, alert):
    """The plan's or the closure's approval: by the case's stage; else the submission the
    alert was raised for — the case's n-th approval alert answers its n-th submission (both
    written by the same move, in order); failing that, the last submission before it."""
    if case["stage"] == "plan_review":
        return "plan_awaits_approval"
    if case["stage"] == "closure_review":
        return "closure_awaits_approval"
    kind = paired.get(alert.pk)
    if kind is None:
        earlier = [(at, kind) for _pk, at, kind in submissions if at <= alert.created_at]
        kind = max(earlier)[1] if earlier else "submit_plan"
    return "closure_awaits_approval" if kind == "request_closure" else "plan_awaits_approval"


def _pair_approvals(Alert, case_ids, submissions):
    """alert pk → the submission kind it was raised for, for cases whose approval alerts and
    submissions are equally many."""
    alerts = defaultdict(list)
    for case_id, pk in (
        Alert.objects.filter(case_id__in=case_ids)
        .filter(
            Q(text__endswith=" awaits your approval.")
            | Q(text__endswith=" menunggu persetujuan Anda.")
        )
        .order_by("pk")
        .values_list("case_id", "pk")
    ):
        alerts[case_id].append(pk)
    paired = {}
    for case_id, pks in alerts.items():
        moves = sorted(submissions[case_id])
        if len(moves) == len(pks):
            paired.update((pk, kind) for pk, (_pk, _at, kind) in zip(pks, moves, strict=True))
    return paired


def _still_to_do(alert, case, last_move, referral, now):
    if alert.case_id is None:
        return True
    if case is None or case["stage"] in ENDED:
        return False
    code, params = alert.code, alert.params
    if code in STAGE_ALERTS and last_move is not None and last_move > alert.created_at:
        return False  # the case moved on since
    if code == "case_assigned_triage":
        return case["stage"] == "triage"
    if code == "plan_awaits_approval":
        return case["stage"] == "plan_review"
    if code == "closure_awaits_approval":
        return case["stage"] == "closure_review"
    if code == "case_moved":
        return case["stage"] == params["stage"]
    if code in {"case_assigned", "case_transferred"}:
        return case["owner_id"] == alert.user_id
    if code == "case_overdue":
        due = case["stage_due_at"]
        return case["stage"] == params["stage"] and due is not None and due < now
    if code in LIVE_WHILE:
        return referral is not None and referral["status"] in LIVE_WHILE[code]
    return True  # not read: stays as it was


def convert_alerts(apps, schema_editor):
    Alert = apps.get_model("cases", "Alert")
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    Referral = apps.get_model("referrals", "Referral")
    zone, now, last = ZoneInfo(settings.TIME_ZONE), timezone.now(), 0
    open_alerts = {}  # (user, code, case, ref) → the open converted alert (its pk once saved)
    while True:
        alerts = list(
            Alert.objects.filter(pk__gt=last, code="", resolved_at__isnull=True).order_by("pk")[
                :BATCH
            ]
        )
        if not alerts:
            break
        last = alerts[-1].pk
        case_ids = {a.case_id for a in alerts if a.case_id}
        cases = {
            c["pk"]: c
            for c in Case.objects.filter(pk__in=case_ids).values(
                "pk", "stage", "stage_due_at", "owner_id"
            )
        }
        moves = dict(
            CaseEvent.objects.filter(case_id__in=case_ids)
            .exclude(to_stage="")
            .values("case_id")
            .annotate(last=Max("at"))
            .values_list("case_id", "last")
        )
        submissions = defaultdict(list)
        for case_id, pk, at, kind in CaseEvent.objects.filter(
            case_id__in=case_ids, kind__in=["submit_plan", "request_closure"]
        ).values_list("case_id", "pk", "at", "kind"):
            submissions[case_id].append((pk, at, kind))
        paired = _pair_approvals(Alert, case_ids, submissions)
        numbers = {m[1] for a in alerts if (m := REFERRAL_NUMBER.match(a.text))}
        referrals = {
            number: {"pk": pk, "number": number, "status": status, "sent_at": sent, "org": org}
            for pk, number, status, sent, org in Referral.objects.filter(
                number__in=numbers
            ).values_list("pk", "number", "status", "sent_at", "to_organisation__name")
        }
        superseded = []  # open alerts of earlier batches raised again in this one
        for alert in alerts:
            found = REFERRAL_NUMBER.match(alert.text)
            referral = referrals.get(found[1]) if found else None
            case = cases.get(alert.case_id)
            read = _read_alert(alert, referral, zone)
            if read is not None and case is not None:
                alert.code, alert.params, alert.ref = read
                if alert.code == "awaits_approval":
                    alert.code = _awaits_which(case, submissions[alert.case_id], paired, alert)
            if not _still_to_do(alert, case, moves.get(alert.case_id), referral, now):
                alert.resolved_at = now
            if alert.code and alert.read_at is None and alert.resolved_at is None:
                # the same to-do raised more than once: the newest stays unread (0011)
                key = (alert.user_id, alert.code, alert.case_id, alert.ref)
                earlier = open_alerts.get(key)
                if isinstance(earlier, int):
                    superseded.append(earlier)
                elif earlier is not None:
                    earlier.read_at = now
                open_alerts[key] = alert
        Alert.objects.filter(pk__in=superseded).update(read_at=now)
        Alert.objects.bulk_update(alerts, ["code", "params", "ref", "read_at", "resolved_at"])
        open_alerts = {key: getattr(a, "pk", a) for key, a in open_alerts.items()}


# --- timeline events --------------------------------------------------------------------


def _read_referral_event(event, referral):
    if referral is None:
        return None
    text = event.text
    head = f"{referral['number']} → {referral['org']}"
    if not text.startswith(head):
        return None
    rest, service = text[len(head) :], ""
    for name in (referral["service_id"], referral["service_en"]):
        if name and rest.startswith(f" ({name})"):
            rest, service = (
                rest[len(name) + 3 :],
                {
                    "id": referral["service_id"],
                    "en": referral["service_en"],
                },
            )
            break
    if rest and not rest.startswith(": "):
        return None
    said, on_behalf = rest[2:], False
    for suffix in ON_BEHALF:
        if said.endswith(suffix):
            said, on_behalf = said[: -len(suffix)].rstrip(), True
    params = {
        "referral": referral["pk"],
        "number": referral["number"],
        "organisation": referral["org"],
        "service": service,
        "on_behalf": on_behalf,
    }
    return "referral_update", params, said


def _read_event(event, referral):
    """(code, params, text left) for a legacy event's text, or None."""
    text, kind = event.text, event.kind
    if kind == "emergency_started" and text in EMERGENCY_OF:
        return "emergency_action", {"kind": EMERGENCY_OF[text]}, ""
    if kind == "emergency_action":
        label, sep, notes = text.partition(": ")
        if sep and label in EMERGENCY_OF:
            return "emergency_action", {"kind": EMERGENCY_OF[label]}, notes
        return None
    if kind == "plan_action_status":
        action, sep, status = text.rpartition(": ")
        if sep and status in PLAN_STATUS_OF:
            return "plan_action_status", {"action": action, "status": PLAN_STATUS_OF[status]}, ""
        return None
    if kind == "assessment":
        values = _match(EVENTS["assessment_completed"], text)
        if values and values["kind"] in ASSESSMENT_OF and values["risk"] in RISK_OF:
            params = {"kind": ASSESSMENT_OF[values["kind"]], "risk": RISK_OF[values["risk"]]}
            return "assessment_completed", params, ""
        return None
    if kind in {"conference", "visit"}:
        code = "conference_held" if kind == "conference" else "visit_made"
        values = _match(EVENTS[code], text)
        if values is None:
            return None
        said = values.pop("text")
        return code, values, said
    if kind.startswith("referral_"):
        return _read_referral_event(event, referral)
    return None


def convert_events(apps, schema_editor):
    CaseEvent = apps.get_model("cases", "CaseEvent")
    Referral = apps.get_model("referrals", "Referral")
    kinds = Q(
        kind__in=[
            "emergency_action",
            "emergency_started",
            "plan_action_status",
            "assessment",
            "conference",
            "visit",
        ]
    ) | Q(kind__startswith="referral_")
    last = 0
    while True:
        events = list(CaseEvent.objects.filter(kinds, pk__gt=last, code="").order_by("pk")[:BATCH])
        if not events:
            break
        last = events[-1].pk
        numbers = {e.text.split(" → ", 1)[0] for e in events if e.kind.startswith("referral_")}
        referrals = {
            number: {
                "pk": pk,
                "number": number,
                "org": org,
                "service_id": name_id or "",
                "service_en": name_en or "",
            }
            for pk, number, org, name_id, name_en in Referral.objects.filter(
                number__in=numbers
            ).values_list(
                "pk", "number", "to_organisation__name", "service__name_id", "service__name_en"
            )
        }
        changed = []
        for event in events:
            referral = referrals.get(event.text.split(" → ", 1)[0])
            read = _read_event(event, referral)
            if read is not None:
                event.code, event.params, event.text = read
                changed.append(event)
        CaseEvent.objects.bulk_update(changed, ["code", "params", "text"])


def forwards(apps, schema_editor):
    convert_alerts(apps, schema_editor)
    convert_events(apps, schema_editor)


# --- back: the Indonesian sentences, as they were stored ---------------------------------


def _id(table, value):
    return table.get(value, (value, value))[1]


def _alert_text(alert, zone):
    p = alert.params
    code = alert.code
    if code in {"plan_awaits_approval", "closure_awaits_approval"}:
        code = "awaits_approval"
    if code not in ALERTS:
        return ""
    values = dict(p)
    if code == "case_assigned":
        pending = [EMERGENCY_PENDING[1]] if p.get("emergency") else []
        pending.append(_id(STAGES, p.get("stage", "")))
        pending += [f"{what} ({due})" for what, due in p.get("actions", [])]
        values["pending"] = "; ".join(pending)
    if "stage" in values:
        values["stage"] = _id(STAGES, values["stage"])
    if code == "case_overdue":
        values["due"] = datetime.fromisoformat(p["due"]).astimezone(zone).strftime(SENT_FORMAT)
    if code == "referral_overdue_answer":
        values["sent"] = datetime.fromisoformat(p["sent"]).astimezone(zone).strftime(SENT_FORMAT)
    try:
        return ALERTS[code][1].format(**values)[:300]
    except (KeyError, ValueError):
        return ""


def _event_text(event):
    p, said = event.params, event.text
    if event.code == "emergency_action":
        label = _id(EMERGENCY, p.get("kind", ""))
        return label if event.kind == "emergency_started" else f"{label}: {said}"
    if event.code == "plan_action_status":
        return f"{p.get('action', '')}: {_id(PLAN_STATUS, p.get('status', ''))}"
    if event.code == "assessment_completed":
        kind, risk = _id(ASSESSMENT, p.get("kind", "")), _id(RISK, p.get("risk", ""))
        return EVENTS["assessment_completed"][1].format(kind=kind, risk=risk)
    if event.code in {"conference_held", "visit_made"}:
        return EVENTS[event.code][1].format(**p, text=said)
    if event.code == "referral_update":
        service = p.get("service") or ""
        if isinstance(service, dict):
            service = service.get("id") or service.get("en") or ""
        text = f"{p.get('number', '')} → {p.get('organisation', '')}"
        text += f" ({service})" if service else ""
        if p.get("on_behalf"):
            said = (said + " " if said else "") + ON_BEHALF[1]
        return text + (f": {said}" if said else "")
    return said


def backwards(apps, schema_editor):
    """Coded rows get back a sentence (in Indonesian) before the codes are dropped."""
    Alert = apps.get_model("cases", "Alert")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    zone = ZoneInfo(settings.TIME_ZONE)
    for model, fields, write in (
        (Alert, ["text"], lambda a: setattr(a, "text", a.text or _alert_text(a, zone))),
        (CaseEvent, ["text"], lambda e: setattr(e, "text", _event_text(e))),
    ):
        last = 0
        while True:
            rows = list(model.objects.filter(pk__gt=last).exclude(code="").order_by("pk")[:BATCH])
            if not rows:
                break
            last = rows[-1].pk
            for row in rows:
                write(row)
            model.objects.bulk_update(rows, fields)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_alert_event_codes"),
        ("referrals", "0004_referral_newest_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
