"""What the HTTP channels (WhatsApp, RapidPro, the SMS gateway) share: one HTTP call with
explicit timeouts whose failures become :class:`~.base.ChannelError` (retryable or not), the
provider's ``Retry-After``, dotted paths into JSON, callback payloads, signatures compared in
constant time, Indonesian phone numbers in E.164 and numbers masked for messages and logs.

No secret (token, key, signature) and no whole phone number ever goes into an exception
message or a log line: ``requests`` puts the URL in its own messages, and a URL may carry a
key in its query string, so its exceptions are replaced, not chained.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from django.http import HttpRequest

from .base import ChannelError

#: (connect, read) seconds, unless a channel's ``timeout`` option says otherwise.
DEFAULT_TIMEOUT = (5.0, 20.0)
USER_AGENT = "PKSAI-messaging/1"


def timeout_option(options: Mapping[str, Any]) -> tuple[float, float]:
    """``timeout``: one number (both) or ``[connect, read]`` seconds."""
    value = options.get("timeout")
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, int | float):
        return (float(value), float(value))
    connect, read = value
    return (float(connect), float(read))


def call(
    method: str, url: str, *, what: str, timeout: tuple[float, float], **kwargs
) -> requests.Response:
    """One request; no redirects (a redirect would carry credentials elsewhere). A timeout or
    a broken connection is retryable; nothing of the request is repeated in the error."""
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    try:
        return requests.request(
            method, url, timeout=timeout, allow_redirects=False, headers=headers, **kwargs
        )
    except requests.Timeout:
        raise ChannelError(f"{what}: no answer within {timeout[1]:g} s", retryable=True) from None
    except requests.ConnectionError:
        raise ChannelError(f"{what}: connection failed", retryable=True) from None
    except requests.RequestException as exc:
        raise ChannelError(f"{what}: {type(exc).__name__}", retryable=False) from None


def retry_after(response: requests.Response) -> float | None:
    """Seconds from ``Retry-After`` (a number or an HTTP date), None if absent or unreadable."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def json_or_empty(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def get_path(data: Any, path: str) -> Any:
    """``messages.0.message-id`` → ``data["messages"][0]["message-id"]``; None when absent."""
    if not path:
        return data
    for part in path.split("."):
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def set_path(data: dict, path: str, value: Any) -> None:
    """Build nested objects and lists along ``path`` (``messages.0.destinations.0.to``)."""
    parts = path.split(".")
    node: Any = data
    for part, after in zip(parts, parts[1:], strict=False):
        empty: Any = [] if after.isdigit() else {}
        if isinstance(node, list):
            index = int(part)
            while len(node) <= index:
                node.append(None)
            if node[index] is None:
                node[index] = empty
            node = node[index]
        else:
            node = node.setdefault(part, empty)
    last = parts[-1]
    if isinstance(node, list):
        index = int(last)
        while len(node) <= index:
            node.append(None)
        node[index] = value
    else:
        node[last] = value


def callback_payload(request: HttpRequest) -> dict[str, Any]:
    """The parameters of a callback: its JSON object, or its query and form fields (one value
    each; a form field wins over a query parameter of the same name)."""
    content_type = (request.content_type or "").lower()
    if content_type.endswith("json") or content_type.endswith("+json"):
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {"_": data}
    payload: dict[str, Any] = {key: request.GET.get(key) for key in request.GET}
    if request.method == "POST":
        payload.update({key: request.POST.get(key) for key in request.POST})
    return payload


def equal(given: str | bytes, expected: str | bytes) -> bool:
    """Constant-time comparison; an empty value never matches."""
    if not given or not expected:
        return False
    a = given.encode() if isinstance(given, str) else given
    b = expected.encode() if isinstance(expected, str) else expected
    return hmac.compare_digest(a, b)


HMAC_ALGORITHMS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "sha512": hashlib.sha512}


def hmac_digest(secret: str, message: bytes, algorithm: str) -> bytes:
    try:
        digestmod = HMAC_ALGORITHMS[algorithm]
    except KeyError:
        raise ValueError(f"unknown signature algorithm {algorithm!r}") from None
    return hmac.new(secret.encode(), message, digestmod).digest()


def parse_time(value: Any) -> datetime | None:
    """Unix seconds (number or digits), ISO 8601 or ``YYYY-MM-DD HH:MM:SS`` (taken as UTC
    when it names no zone) → an aware datetime; None when unreadable."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{9,11}(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        if re.fullmatch(r"\d{12,13}", text):  # milliseconds
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        when = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# Phone numbers -----------------------------------------------------------------------------

INDONESIA = "62"


def to_e164(number: str, *, country_code: str = INDONESIA) -> str:
    """An Indonesian number as E.164: ``0812-3456-7890``, ``62812…``, ``+62 812…`` and
    ``812…`` all become ``+62812…``; a number given with ``+`` keeps its country. '' when
    what is left is not 8–15 digits."""
    value = (number or "").strip()
    digits = re.sub(r"\D", "", value)
    if not digits:
        return ""
    if value.startswith("+"):
        pass
    elif value.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = country_code + digits[1:]
    elif digits.startswith("8") and country_code == INDONESIA:
        digits = country_code + digits
    return f"+{digits}" if 8 <= len(digits) <= 15 else ""


def number_as(number: str, fmt: str, *, country_code: str = INDONESIA) -> str:
    """The E.164 number written the way a gateway wants it: ``e164`` (+62812…), ``digits``
    (62812…) or ``national`` (0812…)."""
    e164 = to_e164(number, country_code=country_code)
    if not e164:
        return ""
    if fmt == "digits":
        return e164[1:]
    if fmt == "national" and e164.startswith("+" + country_code):
        return "0" + e164[1 + len(country_code) :]
    return e164


def mask(number: str) -> str:
    """``+62812****7890``: enough to tell numbers apart in a log, not enough to call one."""
    value = (number or "").strip()
    if len(value) <= 6:
        return "****"
    return f"{value[:6]}****{value[-4:]}"


_LONG_DIGITS = re.compile(r"\+?\d[\d \-]{6,}\d")


def scrub(text: Any, limit: int = 200) -> str:
    """A provider's free-text error, shortened, with anything that looks like a phone number
    masked (providers sometimes repeat the recipient)."""
    value = str(text or "")[:limit]
    return _LONG_DIGITS.sub(lambda m: mask(re.sub(r"[ \-]", "", m.group(0))), value)
