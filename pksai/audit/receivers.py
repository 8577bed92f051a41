"""Sign-in events come from Django's auth signals and django-axes: the only hooks there are."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from pksai.audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="pksai_audit_login")
def _logged_in(sender, request, user, **kwargs):
    # how (single sign-on sets request.pksai_sign_in: method, issuer, claims it ignored)
    audit_record(action="login", actor=user, detail=getattr(request, "pksai_sign_in", None))


@receiver(user_logged_out, dispatch_uid="pksai_audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        # why, when not the user's choice (single sign-on: the provider refused, …)
        reason = getattr(request, "pksai_logout_reason", "")
        audit_record(action="logout", actor=user, detail={"reason": reason} if reason else None)


@receiver(user_login_failed, dispatch_uid="pksai_audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    audit_record(action="login_failed", username=str(credentials.get("username", ""))[:150])


@receiver(user_locked_out, dispatch_uid="pksai_audit_locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    # which lock (accounts/throttle.py): the username from this address, or the whole address
    lock = getattr(request, "pksai_lock", "") if request is not None else ""
    audit_record(action="locked_out", username=str(username or "")[:150], detail={"lock": lock})
