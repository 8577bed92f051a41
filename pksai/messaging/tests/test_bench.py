"""benchmarks/bench_messaging.py runs small: the cycle's notices queued with a handful of
queries however many beneficiaries there are."""

import pytest

from benchmarks import bench_messaging
from pksai.messaging.models import Message


@pytest.mark.django_db
def test_the_messaging_benchmark_runs_small(pilot_areas, channels, capsys):
    [verdict] = bench_messaging.run(beneficiaries=40)
    assert verdict["passed"], verdict
    assert "payment_notices_queue, 40 beneficiaries" in capsys.readouterr().out
    notices = Message.objects.filter(template="payment_notice")
    assert notices.filter(status="queued").count() == 36
    assert notices.filter(status="refused_no_consent").count() == 4
