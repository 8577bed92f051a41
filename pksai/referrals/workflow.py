"""The referral lifecycle as a transition table.

sent → acknowledged → accepted | declined (with a reason) → service started → service
delivered (date, what was provided, outcome) → closed; or cancelled by the worker before the
service is delivered. The provider's side (focal persons of the addressed organisation, or
case staff recording the provider's answer on its behalf) acknowledges, accepts, declines,
starts and delivers; the worker's side closes and cancels. A declined referral waits in the
worker's queue until the worker closes it (and usually refers elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass

from pksai.referrals.models import Status

PROVIDER = "provider"
WORKER = "worker"


@dataclass(frozen=True)
class Move:
    name: str
    source: frozenset[str]
    target: str
    side: str
    needs: tuple[str, ...] = ()  # form fields the move requires


MOVES: dict[str, Move] = {
    m.name: m
    for m in (
        Move("acknowledge", frozenset({Status.SENT}), Status.ACKNOWLEDGED, PROVIDER),
        Move("accept", frozenset({Status.SENT, Status.ACKNOWLEDGED}), Status.ACCEPTED, PROVIDER),
        Move(
            "decline",
            frozenset({Status.SENT, Status.ACKNOWLEDGED}),
            Status.DECLINED,
            PROVIDER,
            ("reason",),
        ),
        Move("start", frozenset({Status.ACCEPTED}), Status.IN_SERVICE, PROVIDER),
        Move(
            "deliver",
            frozenset({Status.ACCEPTED, Status.IN_SERVICE}),
            Status.DELIVERED,
            PROVIDER,
            ("delivered_on", "provided"),
        ),
        Move("close", frozenset({Status.DELIVERED, Status.DECLINED}), Status.CLOSED, WORKER),
        Move(
            "cancel",
            frozenset({Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.IN_SERVICE}),
            Status.CANCELLED,
            WORKER,
            ("reason",),
        ),
    )
}

OPEN = frozenset(
    {Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.IN_SERVICE, Status.DELIVERED}
)
AWAITING_ANSWER = frozenset({Status.SENT, Status.ACKNOWLEDGED})
IN_HAND = frozenset({Status.ACCEPTED, Status.IN_SERVICE})


def moves_from(status: str, side: str) -> list[Move]:
    return [m for m in MOVES.values() if status in m.source and m.side == side]
