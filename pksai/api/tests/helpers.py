"""What API tests share: a bearer header for a user, and English messages."""

import pytest
from django.conf import settings
from django.utils import translation

from pksai.accounts.services import api_token_issue


def bearer(user) -> dict[str, str]:
    """An Authorization header with a fresh token of ``user``."""
    _token, raw = api_token_issue(user=user, name="t", by=None)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture(autouse=True)
def english_messages(client):
    """Messages are asserted in English (the API answers in the user's chosen language).
    Automatic in every test module that imports it."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
