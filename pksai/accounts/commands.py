"""What the `pksai` commands that act as a person share: the user named by ``--user``."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from pksai.accounts.models import User


def command_user(username: str) -> User:
    """The active user a command acts as (scope, permissions, audit); CommandError if there is
    none by that name."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active user %(u)s.") % {"u": username})
    return user
