"""The send loop as a background task: queued once per transaction that records messages (a
bulk queue of 10,000 notices queues ONE task), and by ``pksai scheduler`` when messages wait
for their retry. Two workers running it at once never send one message twice (the claim)."""

from __future__ import annotations

from django.tasks import task

from pksai.messaging.sending import messages_send_due


@task()
def send_due_messages() -> dict[str, int]:
    return messages_send_due()
