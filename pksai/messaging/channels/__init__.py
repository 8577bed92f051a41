"""The configured channels: ``get_channel(name)`` builds the backend named in
``settings.PKSAI_MESSAGING_CHANNELS[name]`` once per process (channels keep no state) and
raises ``UnknownChannel`` for a name that is not configured. See ``base.py`` for the contract."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from pksai.messaging.channels.base import Channel


class UnknownChannel(LookupError):
    pass


def channel_names() -> list[str]:
    return list(settings.PKSAI_MESSAGING_CHANNELS)


def get_channel(name: str) -> Channel:
    return _build(name)


@cache
def _build(name: str) -> Channel:
    config = settings.PKSAI_MESSAGING_CHANNELS.get(name)
    if not config:
        raise UnknownChannel(name)
    backend = import_string(config["BACKEND"])
    return backend(name=name, options=dict(config.get("OPTIONS") or {}))


def _reset(*, setting: str, **kwargs) -> None:
    if setting in ("PKSAI_MESSAGING_CHANNELS", "PKSAI_MESSAGING_LOG"):
        _build.cache_clear()


setting_changed.connect(_reset)
