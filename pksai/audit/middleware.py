from django.core.exceptions import PermissionDenied

from pksai.audit.services import audit_record


class PermissionDeniedAuditMiddleware:
    """Every PermissionDenied raised by a view is written to the audit log (then Django's
    normal 403 handling continues)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            audit_record(
                action="permission_denied",
                actor=getattr(request, "user", None),
                detail={"reason": str(exception)[:300], "method": request.method},
            )
        return None
