"""Reading providers, referrals and satisfaction records — always through the user's scope.

Two kinds of reader see referrals:
- case staff (referrals.view_referral) see the referrals of cases in their area scope, and
  transfers addressed to a secretariat in their scope;
- focal persons (referrals.respond_referral, no view_referral) see only referrals addressed to
  their own organisation (accounts.scoping.organisation_q) — and nothing of the case.
Anything else is a 404, exactly like a record that does not exist.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from pksai.accounts.scoping import get_visible_or_404, organisation_q, require_perm, scope_for
from pksai.cases.selectors import VIEW_CASE, openable_q, sees_restricted_fields
from pksai.referrals.models import Provider, Referral, ReferralEvent, Satisfaction, Status
from pksai.referrals.workflow import AWAITING_ANSWER, IN_HAND

VIEW_REFERRAL = "referrals.view_referral"
RESPOND = "referrals.respond_referral"
VIEW_PROVIDER = "referrals.view_provider"


def is_focal_person(user) -> bool:
    """Organisation-bound: answers referrals for their organisation and sees nothing else."""
    return not user.has_perm(VIEW_REFERRAL) and user.has_perm(RESPOND)


def _referral_q(user) -> Q:
    if user.has_perm(VIEW_REFERRAL):
        scope = scope_for(user)
        # a restricted case's referrals only for those who may open the case
        of_cases = scope.q("area") & openable_q(user, prefix="case__")
        return of_cases | (Q(kind=Referral.Kind.TRANSFER) & scope.q("to_organisation__area"))
    if user.has_perm(RESPOND):
        return organisation_q(user, "to_organisation")
    require_perm(user, VIEW_REFERRAL)  # raises PermissionDenied
    raise AssertionError("unreachable")


def referral_list(
    *,
    user,
    status: str = "",
    overdue: bool = False,
    organisation: int | None = None,
    q: str = "",
) -> QuerySet[Referral]:
    qs = Referral.objects.filter(_referral_q(user))
    if status == "open":
        qs = qs.filter(status__in=[Status.SENT, Status.ACKNOWLEDGED, *IN_HAND])
    elif status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(overdue_q())
    if organisation:
        qs = qs.filter(to_organisation_id=organisation)
    if q.strip():
        qs = qs.filter(Q(number__icontains=q.strip()) | Q(case__number__icontains=q.strip()))
    return qs.select_related("to_organisation", "service", "case").order_by("-sent_at", "-id")


def referral_get(*, user, pk: int) -> Referral:
    """One referral the user may see, else Http404 (missing, out of scope, or addressed to
    another organisation)."""
    base = Referral.objects.select_related(
        "to_organisation", "service", "case", "plan_action", "sent_by"
    )
    # no permission at all (PermissionDenied from _referral_q): the same 404, audited
    return get_visible_or_404(lambda: base.filter(_referral_q(user)), base=base, pk=pk)


def referral_get_for_update(*, user, pk: int) -> Referral:
    referral_get(user=user, pk=pk)
    return Referral.objects.select_for_update(of=("self",)).get(pk=pk)


def sees_case(user, referral: Referral) -> bool:
    """Case staff who can open the referral's case see it in full; everyone else (the
    provider, a receiving secretariat before it accepts) sees only what was shared. The same
    rule as cases.selectors.case_get, on the joined case (no query)."""
    case = referral.case
    return (
        user.has_perm(VIEW_CASE)
        and scope_for(user).covers(case.area_id)
        and (not case.restricted or sees_restricted_fields(case, user))
    )


def referral_events(referral: Referral) -> list[ReferralEvent]:
    return list(referral.events.select_related("actor"))


def overdue_q(now=None) -> Q:
    """Not answered within the service level, or accepted but not delivered by the due date."""
    now = now or timezone.now()
    return Q(status__in=AWAITING_ANSWER, respond_by__lt=now) | Q(
        status__in=IN_HAND, due_date__lt=timezone.localdate(now)
    )


def is_overdue(referral: Referral, now=None) -> bool:
    now = now or timezone.now()
    if referral.status in AWAITING_ANSWER:
        return referral.respond_by is not None and referral.respond_by < now
    if referral.status in IN_HAND:
        return referral.due_date < timezone.localdate(now)
    return False


def overdue_for_supervisor(*, user) -> QuerySet[Referral]:
    """The supervisor's overdue list: overdue referrals of the cases they supervise (all in
    scope for a coordinator, who may open every case of the area)."""
    require_perm(user, "cases.approve_case")
    qs = Referral.objects.filter(_referral_q(user)).filter(overdue_q())
    if not user.has_perm("cases.view_restricted_case"):
        qs = qs.filter(case__supervisor=user)
    return qs.select_related("to_organisation", "service", "case", "case__owner").order_by(
        "respond_by", "due_date"
    )


def to_handle(*, user) -> QuerySet[Referral]:
    """For the worker's queue: referrals of their own cases that came back declined (with the
    provider's reason) or were delivered and wait to be closed."""
    require_perm(user, VIEW_REFERRAL)
    return (
        Referral.objects.filter(case__owner=user, status__in=[Status.DECLINED, Status.DELIVERED])
        .select_related("to_organisation", "service", "case")
        .order_by("responded_at", "id")
    )


def inbox(*, user) -> QuerySet[Referral]:
    """A focal person's referrals: everything addressed to their organisation, open first."""
    require_perm(user, RESPOND)
    return (
        Referral.objects.filter(organisation_q(user, "to_organisation"))
        .select_related("service", "to_organisation")
        .order_by("status", "respond_by", "-id")
    )


# --- providers -------------------------------------------------------------------------


def _ancestors(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def serving_q(area_code: str) -> Q:
    """Providers that serve an area: located in its regency (or above it), or with a catchment
    area that contains it."""
    above = _ancestors(area_code)
    regency = ".".join(area_code.split(".")[:2])
    return (
        Q(organisation__area__code__in=above)
        | Q(organisation__area__code__startswith=regency + ".")
        | Q(catchment__code__in=above)
    )


def provider_list(
    *,
    user,
    q: str = "",
    area: str = "",
    sector: str = "",
    service: str = "",
    active_only: bool = True,
) -> QuerySet[Provider]:
    """Providers located in the user's scope or serving an area of it; filtered by name,
    area served, sector and service."""
    require_perm(user, VIEW_PROVIDER)
    scope = scope_for(user)
    qs = Provider.objects.all()
    if not scope.national:
        around = scope.q("organisation__area")
        for code in scope.area_codes:
            # ... or serving the scope, or a part of it (a catchment district or village).
            around |= serving_q(code) | Q(catchment__code__startswith=code + ".")
        qs = qs.filter(around)
    if active_only:
        qs = qs.filter(organisation__is_active=True)
    if q.strip():
        qs = qs.filter(organisation__name__icontains=q.strip())
    if area.strip():
        code = area.strip()
        qs = qs.filter(serving_q(code) | Q(organisation__area__code__startswith=code + "."))
    if sector:
        qs = qs.filter(sector=sector)
    if service:
        qs = qs.filter(services__code=service)
    ids = qs.values("pk")
    return (
        Provider.objects.filter(pk__in=ids)
        .select_related("organisation", "organisation__area")
        .prefetch_related("services", "catchment")
        .order_by("organisation__name")
    )


def provider_get(*, user, pk: int) -> Provider:
    return get_visible_or_404(
        lambda: provider_list(user=user, active_only=False), base=Provider.objects.all(), pk=pk
    )


def providers_for_case(*, user, case) -> QuerySet[Provider]:
    """Active providers serving the case's area, for the referral form."""
    require_perm(user, VIEW_PROVIDER)
    ids = Provider.objects.filter(serving_q(case.area_id), organisation__is_active=True).values(
        "pk"
    )
    return (
        Provider.objects.filter(pk__in=ids)
        .select_related("organisation")
        .prefetch_related("services")
        .order_by("sector", "organisation__name")
    )


def focal_persons(provider: Provider) -> QuerySet:
    from pksai.accounts.models import User

    return User.objects.filter(
        organisation=provider.organisation, groups__name="focal_person", is_active=True
    ).distinct()


# --- satisfaction ----------------------------------------------------------------------


def satisfaction_for_case(case) -> list[Satisfaction]:
    return list(case.satisfaction_records.select_related("referral", "entered_by"))


def pending_link(satisfaction_token_digest: str) -> Satisfaction | None:
    return (
        Satisfaction.objects.filter(token_digest=satisfaction_token_digest)
        .select_related("referral", "referral__to_organisation", "referral__service")
        .first()
    )
