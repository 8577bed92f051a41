"""Alerts as live to-dos: raised once, done when the thing they point at is done.

- ``alerts_raise``: insert alerts, each stored as a code and params (cases/messages.py renders
  them for the reader). An alert already open — unread and not done — for the same user, code,
  case and ``ref`` is not raised again: a partial unique index (``alert_open_once``) and
  ``INSERT … ON CONFLICT DO NOTHING`` make that hold across concurrent workers too.
- ``resolve_alerts``: the services that finish something (a plan approved or sent back, a case
  moved on, closed or handed over, a referral answered or closed) mark its alerts done in the
  same transaction; ``alert_overdue`` also marks done overdue alerts whose deadline was met.
- ``alerts_mark_read``: a user marks their own alerts read (one, several or all).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.cases.messages import alert_message
from pksai.cases.models import Alert, Case
from pksai.cases.workflow import OPEN_STAGES

logger = logging.getLogger(__name__)


def alerts_raise(alerts: Iterable[Alert], *, mail: bool = True) -> list[Alert]:
    """Insert the alerts not already open (same user, code, case, ref); return those inserted
    (and, with ``mail``, e-mail them once the transaction lands). Alerts without a user are
    dropped."""
    wanted: dict[tuple, Alert] = {}
    for alert in alerts:
        if alert.user_id is not None:
            wanted.setdefault((alert.user_id, alert.code, alert.case_id, alert.ref), alert)
    if not wanted:
        return []
    users, codes, cases = (sorted({key[i] for key in wanted} - {None}) for i in range(3))
    already = set(
        Alert.objects.unread()
        .filter(user_id__in=users, code__in=codes)
        .filter(Q(case_id__in=cases) | Q(case__isnull=True))
        .values_list("user_id", "code", "case_id", "ref")
    )
    new = [alert for key, alert in wanted.items() if key not in already]
    # A concurrent worker may have raised the same alert since: the unique index turns that
    # insert into nothing (PostgreSQL waits for the other transaction, then skips the row).
    Alert.objects.bulk_create(new, ignore_conflicts=True)
    if mail:
        mail_on_commit(new)
    return new


def resolve_alerts(
    *,
    case: Case,
    codes: Iterable[str] | None = None,
    ref: str | None = None,
    keep_users: Iterable[int | None] = (),
    now: datetime | None = None,
) -> int:
    """Mark done the open alerts of ``case``: only those with ``codes`` (default: all, also
    rows written before codes existed), only those about ``ref``, except those of
    ``keep_users``. Returns how many."""
    open_alerts = Alert.objects.filter(case=case, resolved_at__isnull=True)
    if codes is not None:
        open_alerts = open_alerts.filter(code__in=list(codes))
    if ref is not None:
        open_alerts = open_alerts.filter(ref=ref)
    keep = [pk for pk in keep_users if pk is not None]
    if keep:
        open_alerts = open_alerts.exclude(user_id__in=keep)
    return open_alerts.update(resolved_at=now or timezone.now())


def alerts_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s unread alerts read: those in ``ids`` (others' alerts are never
    touched), or all of them. Returns how many."""
    unread = Alert.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def mail_on_commit(alerts: list[Alert]) -> None:
    """E-mail each alert to its user (if they have an address) once the transaction lands, in
    the system's language and the user's time zone. Without a configured mailer
    (settings.MAILERS) this sends nothing; alerts stay in the app."""
    messages = []
    for alert in alerts:
        if not alert.user.email:
            continue
        zone = alert.user.zone_name or settings.TIME_ZONE
        with translation.override(settings.LANGUAGE_CODE), timezone.override(zone):
            said = alert_message(alert)
            messages.append((_("PKSAI: %(text)s") % {"text": said[:120]}, said, alert.user.email))
    if messages:
        transaction.on_commit(lambda: send_mails(messages))
    _message_alerts(alerts)


def _message_alerts(alerts: list[Alert]) -> None:
    """The same alerts as a message to the users who chose to receive them so (WhatsApp, SMS:
    their ``work`` consent in ``pksai.messaging``), in the system's language."""
    from django.urls import reverse

    from pksai.messaging.services import users_notify

    rows = []
    for alert in alerts:
        with translation.override(settings.LANGUAGE_CODE):
            said = alert_message(alert)
        path = reverse("cases:detail", args=[alert.case_id]) if alert.case_id else "/"
        rows.append(
            {
                "user_id": alert.user_id,
                "text": said[:300],
                "link": f"{settings.PKSAI_SITE_URL}{path}",
                "case_id": alert.case_id,
            }
        )
    users_notify(rows=rows, template="work_alert")


def send_mails(messages: list[tuple[str, str, str]]) -> None:
    for subject, body, to in messages:
        try:
            send_mail(subject, body, None, [to])
        except OSError:  # an unreachable mail server must not break the work
            logger.warning("alert e-mail to %s failed", to, exc_info=True)


def alert_overdue(*, now: datetime | None = None) -> int:
    """Tell owners and supervisors once about every open case whose stage became overdue
    (again after each new due date), and mark done the overdue alerts of cases that are no
    longer overdue. A handful of queries and one bulk insert, however many cases. Returns how
    many cases were newly overdue. Run by `pksai scheduler` (or `pksai case-alerts` from cron).

    Safe to run in several processes at once: the cases are read under row locks that skip
    rows another run holds (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite serialises writing
    transactions), and a case is marked alerted in the same transaction, so each deadline is
    alerted exactly once.

    The alert stores the deadline as an instant (``params["due"]``, ISO, UTC) and each reader
    sees it in their own zone with its name; it used to be written as text in the scheduler's
    zone (settings.TIME_ZONE, WIB), so a WITA reader saw 02:35 beside the queue's 3.35."""
    now = now or timezone.now()
    Alert.objects.filter(code="case_overdue", resolved_at__isnull=True).filter(
        ~Q(case__stage__in=OPEN_STAGES)
        | Q(case__stage_due_at__isnull=True)
        | Q(case__stage_due_at__gte=now)
    ).update(resolved_at=now)
    due = (
        Case.objects.filter(stage__in=OPEN_STAGES, stage_due_at__lt=now)
        .filter(Q(overdue_alerted_at__isnull=True) | Q(overdue_alerted_at__lt=F("stage_due_at")))
        .select_related("owner", "supervisor")
        .select_for_update(skip_locked=True, of=("self",))
    )
    with transaction.atomic():
        cases = list(due)
        if not cases:
            return 0
        # an earlier deadline's alert is replaced by this one's
        Alert.objects.filter(case__in=cases, code="case_overdue", resolved_at__isnull=True).update(
            resolved_at=now
        )
        alerts_raise(
            Alert(
                user=user,
                case=case,
                code="case_overdue",
                params={
                    "number": case.number,
                    "stage": case.stage,
                    "due": case.stage_due_at.isoformat(),
                },
            )
            for case in cases
            for user in (case.owner, case.supervisor)
            if user is not None
        )
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(overdue_alerted_at=now)
    return len(cases)
