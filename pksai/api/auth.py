from django.contrib.auth.models import AnonymousUser
from ninja.security import HttpBearer, SessionAuth

from pksai.accounts.second_factor import second_factor_required
from pksai.accounts.services import api_token_authenticate
from pksai.core.context import bind_user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer pksai_…`` — a token issued by an administrator."""

    openapi_description = (
        "A token issued by a PKSAI administrator; it carries its user's scope. Refused for "
        "users whose roles need a second factor (restricted cases, approving money, exports "
        "of personal data, administration)."
    )

    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is None:
            return None
        if second_factor_required(user):
            # A token is a password that never asks for the second factor: the roles that
            # need one (restricted cases, money, personal-data exports, administration) use
            # the API only through a verified browser session (decision 0020).
            return None
        request.user = user
        bind_user(user)
        return user


class StaffSession(SessionAuth):
    """The signed-in browser session (for the interactive docs); CSRF-checked on writes."""

    def authenticate(self, request, key):
        user = getattr(request, "user", AnonymousUser())
        if user.is_authenticated and user.is_active:
            return user
        return None
