"""The client's address, the one way: rate limits, sign-in throttling, the audit trail and the
/metrics address check all ask `client_address(request)`.

Without a proxy (``PKSAI_TRUSTED_PROXY_COUNT=0``) it is the connection's own address,
``REMOTE_ADDR``. Behind N proxies we run, each appending the address it saw to
``X-Forwarded-For``, the client is the address N hops from the right of that header: the
addresses further left were written by the client itself and prove nothing (anyone can send
``X-Forwarded-For: 10.0.0.1``). A proxy that *replaces* the header (our nginx and HAProxy
configurations do) leaves one entry, which is then the right-most one too.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(address: str) -> str | None:
    address = address.strip()
    if address.startswith("[") and "]" in address:  # "[2001:db8::1]:443"
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:  # "192.0.2.1:443"
        address = address.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The client's IP address: ``REMOTE_ADDR``, or — behind ``PKSAI_TRUSTED_PROXY_COUNT``
    proxies — the ``X-Forwarded-For`` entry that many hops from the right. None when there is
    no valid address (a test client without one, a malformed header)."""
    remote = _valid(request.META.get("REMOTE_ADDR") or "")
    hops = int(getattr(settings, "PKSAI_TRUSTED_PROXY_COUNT", 0) or 0)
    if hops <= 0:
        return remote
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if not forwarded:
        # a request that did not come through the proxies (a health check on the machine)
        return remote
    # Fewer entries than proxies: the left-most is still one a trusted proxy wrote.
    return _valid(forwarded[-min(hops, len(forwarded))])
