from django.db.models import QuerySet

from pksai.accounts.scoping import require_perm
from pksai.audit.models import AuditEvent

VIEW_AUDIT = "audit.view_auditevent"


def audit_event_list(*, user) -> QuerySet[AuditEvent]:
    """The whole trail, for auditors and administrators (the trail itself is not area-scoped:
    auditors review everyone's actions)."""
    require_perm(user, VIEW_AUDIT)
    return AuditEvent.objects.all()
