"""The JSON API under /api/v1/: one NinjaAPI, one router per app, errors as JSON."""

import threading

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
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
        {"detail": "Authentication required: send 'Authorization: Bearer <token>'."},
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
        request, {"detail": "You do not have permission for this action."}, status=403
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    audit_refusal_kept(exc)  # a refused record's audit row, if a transaction rolled it back
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    return api.create_response(request, {"detail": exc.messages}, status=400)


@api.exception_handler(NinjaValidationError)
def _invalid_input(request, exc):
    return api.create_response(
        request, {"detail": "Invalid input.", "errors": exc.errors}, status=422
    )
