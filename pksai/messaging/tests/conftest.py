import pytest

from pksai.messaging.tests.fakes import FakeChannel


@pytest.fixture
def channels(settings, tmp_path):
    """sms = the fake provider, email = the log file (signed callbacks with 'sekret')."""
    FakeChannel.sent.clear()
    FakeChannel.failures.clear()
    FakeChannel.delay = 0.0
    settings.PKSAI_MESSAGING_LOG = tmp_path / "messages.log"
    settings.PKSAI_MESSAGING_CHANNELS = {
        "sms": {
            "BACKEND": "pksai.messaging.tests.fakes.FakeChannel",
            "RATE_PER_SECOND": 1000,
        },
        "log": {
            "BACKEND": "pksai.messaging.channels.log.LogChannel",
            "OPTIONS": {"secret": "sekret"},
        },
        "email": {"BACKEND": "pksai.messaging.channels.email.EmailChannel"},
    }
    settings.PKSAI_MESSAGING_BACKOFF_SECONDS = 60
    settings.PKSAI_MESSAGING_MAX_ATTEMPTS = 3
    return FakeChannel
