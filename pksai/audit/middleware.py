from django.core.exceptions import PermissionDenied

from pksai.audit.services import audit_record, audit_refusal_kept


class PermissionDeniedAuditMiddleware:
    """Every PermissionDenied raised by a view is written to the audit log (then Django's
    normal 403 handling continues); a refused record's 404 keeps its audit row even when a
    transaction in the view rolled it back (accounts.scoping.get_visible_or_404)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        audit_refusal_kept(exception)
        if isinstance(exception, PermissionDenied):
            audit_record(
                action="permission_denied",
                actor=getattr(request, "user", None),
                detail={"reason": str(exception)[:300], "method": request.method},
            )
        return None
