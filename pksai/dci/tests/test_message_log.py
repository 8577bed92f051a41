"""The message ids callers used are kept only to refuse replays: the daily retention job deletes
those older than PKSAI_DCI_MESSAGE_LOG_DAYS, never younger than a day (a signature lives at most
an hour, so a replay within the window is still refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pksai.dci.models import ReceivedMessage
from pksai.dci.services import received_messages_prune
from pksai.retention.tasks import run_retention

pytestmark = pytest.mark.django_db


def received(caller, name: str, days_ago: float) -> ReceivedMessage:
    return ReceivedMessage.objects.create(
        caller=caller,
        message_id=name,
        action="search",
        received_at=timezone.now() - timedelta(days=days_ago),
    )


def test_ids_older_than_the_setting_go_and_recent_ones_stay(caller, settings):
    settings.PKSAI_DCI_MESSAGE_LOG_DAYS = 30
    received(caller, "old", 31)
    received(caller, "older", 400)
    received(caller, "recent", 29)
    assert received_messages_prune(chunk=1) == 2
    assert list(ReceivedMessage.objects.values_list("message_id", flat=True)) == ["recent"]
    assert received_messages_prune() == 0


def test_never_less_than_a_day_so_a_replay_is_still_refused(caller):
    received(caller, "an-hour-ago", 1 / 24)
    received(caller, "two-days-ago", 2)
    assert received_messages_prune(days=0) == 1
    assert ReceivedMessage.objects.filter(message_id="an-hour-ago").exists()


def test_the_daily_retention_job_prunes_the_log(caller, settings):
    settings.PKSAI_DCI_MESSAGE_LOG_DAYS = 7
    received(caller, "old", 8)
    result = run_retention.call("scheduler")
    assert result["dci_message_log"] == 1
    assert not ReceivedMessage.objects.exists()
