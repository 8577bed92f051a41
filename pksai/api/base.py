"""The JSON API under /api/v1/: one NinjaAPI, one router per app, errors as JSON.

Every error answers ``ErrorOut`` (``detail``: a message in the caller's language, or a list
of them; ``errors``: the invalid fields of a 422), and every operation declares the error
answers it can give (``declare_errors``, called once the routers are mounted): 400 (a rule of
the service refused the input, a NUL byte, a number out of range), 401/403 (operations that
need a caller), 404 and 422 (operations that take input). Statuses an operation declares
itself (409 on a stale version, 429 on the public form) are kept."""

import logging
import threading
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from pksai.api.auth import StaffSession, TokenAuth
from pksai.audit.services import audit_record, audit_refusal_kept


class PksaiAPI(NinjaAPI):
    """Builds the OpenAPI schema once per process (it takes seconds; it changes only with
    the code) instead of on every request of /openapi.json and the docs page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict = {}
        self._schema_lock = threading.Lock()

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        key = (path_prefix, tuple(sorted((path_params or {}).items())))
        if key not in self._schemas:
            with self._schema_lock:
                if key not in self._schemas:
                    self._schemas[key] = super().get_openapi_schema(
                        path_prefix=path_prefix, path_params=path_params
                    )
        return self._schemas[key]


api = PksaiAPI(
    title="PKSAI API",
    version="1",
    description=(
        "Integrated Child Welfare Services. Authenticate with `Authorization: Bearer <token>`; "
        "tokens are issued by administrators and see exactly what their user may see."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), StaffSession()],
    openapi_url="/openapi.json",
    docs_url="/docs",
)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = api.create_response(
        request,
        {"detail": _("Authentication required: send 'Authorization: Bearer <token>'.")},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="pksai"'
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    audit_record(
        action="permission_denied",
        actor=getattr(request, "user", None),
        detail={"reason": str(exc)[:300], "method": request.method},
    )
    return api.create_response(
        request, {"detail": _("You do not have permission for this action.")}, status=403
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    audit_refusal_kept(exc)  # a refused record's audit row, if a transaction rolled it back
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    return api.create_response(request, {"detail": exc.messages}, status=400)


@api.exception_handler(NinjaValidationError)
def _invalid_input(request, exc):
    return api.create_response(
        request, {"detail": _("Invalid input."), "errors": exc.errors}, status=422
    )


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _out_of_range(request, exc):
    """A number no database column holds (an id or amount beyond 2**63, a year the calendar
    has not): the caller's input, not a server error."""
    logger.warning("API input out of range on %s: %s", request.path, exc)
    return api.create_response(
        request, {"detail": _("A number or date in the request is out of range.")}, status=400
    )


logger = logging.getLogger(__name__)


class ErrorOut(Schema):
    """Every error answer of the API."""

    detail: str | list[str] = Field(
        description="What went wrong, in the caller's language (a list for several rules)."
    )
    errors: list[dict[str, Any]] | None = Field(
        None, description="Only on 422: the fields that could not be read, and why."
    )


def declare_errors(api: NinjaAPI) -> int:
    """Add the error answers every operation can give to its declared responses (for the
    OpenAPI document and generated clients); returns how many operations it saw."""
    seen = 0
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                seen += 1
                statuses = [400]
                if operation.auth_callbacks:
                    statuses += [401, 403]
                if operation.models:  # path, query or body input: lookups and validation
                    statuses += [404, 422]
                for status in statuses:
                    if status not in operation.response_models:
                        operation.response_models[status] = operation._create_response_model(
                            ErrorOut
                        )
    return seen
