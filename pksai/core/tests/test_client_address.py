"""The client's address: REMOTE_ADDR without proxies; behind N trusted proxies, the
X-Forwarded-For entry N hops from the right — never an address the client wrote itself."""

import pytest
from django.test import RequestFactory

from pksai.audit.models import AuditEvent
from pksai.core.client import client_address

rf = RequestFactory()


def request(forwarded: str | None = None, remote: str = "10.0.0.2"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_without_proxies_the_connection_address_and_the_header_is_ignored(settings):
    settings.PKSAI_TRUSTED_PROXY_COUNT = 0
    assert client_address(request("203.0.113.9")) == "10.0.0.2"
    assert client_address(request(remote="")) is None


def test_one_proxy_the_right_most_entry_not_what_the_client_wrote(settings):
    settings.PKSAI_TRUSTED_PROXY_COUNT = 1
    # a proxy that replaces the header (ours do): one entry
    assert client_address(request("198.51.100.4")) == "198.51.100.4"
    # a proxy that appends: the client's forged entry stays on the left and is not believed
    assert client_address(request("1.2.3.4, 198.51.100.4")) == "198.51.100.4"
    # a request that did not pass the proxy (a check on the machine itself)
    assert client_address(request()) == "10.0.0.2"


def test_two_proxies_two_hops_from_the_right(settings):
    settings.PKSAI_TRUSTED_PROXY_COUNT = 2
    assert client_address(request("1.2.3.4, 198.51.100.4, 10.0.0.9")) == "198.51.100.4"
    assert client_address(request("2001:db8::7, 10.0.0.9")) == "2001:db8::7"
    # fewer entries than proxies: the left-most one a trusted proxy wrote
    assert client_address(request("198.51.100.4")) == "198.51.100.4"
    # garbage where an address belongs: no address rather than a made-up one
    assert client_address(request("not-an-address, 10.0.0.9")) is None


@pytest.mark.django_db
def test_the_audit_row_carries_the_trusted_address(client, settings):
    settings.PKSAI_TRUSTED_PROXY_COUNT = 1
    client.post(
        "/accounts/login/",
        {"username": "nobody", "password": "wrong-password"},
        headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.4"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert AuditEvent.objects.get(action="login_failed").ip == "198.51.100.4"
