"""Asynchronous DCI searches answered in the worker (decision 0039)."""

from __future__ import annotations

from django.tasks import task

from pksai.dci.services import search_callback


@task()
def answer_search(*, caller_id: int, body: dict, correlation_id: str) -> int:
    return search_callback(caller_id=caller_id, body=body, correlation_id=correlation_id)
