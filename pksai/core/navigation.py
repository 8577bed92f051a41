"""The site navigation: which links a user sees in the page header, and which one is the
section they are in.

One table, read top to bottom. Each entry is a list of alternatives; the first one the user
may open is shown (a provider's focal person sees "Referrals to us" where case staff see
"Referrals"). The main links are the work; the account links (audit trail, administration,
API) sit with the user's name, the language switch and "Log out"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STAFF = "staff"  # not a permission: the Django admin is open to staff users only
# not a permission: frontline case workers (they change cases but approve none) — the field
# app (/lapangan/) is for them; supervisors and coordinators open it by its address
FIELD = "field"

# (url name, label, permission or STAFF or FIELD or None for everyone signed in)
type Choice = tuple[str, str | Promise, str | None]

MAIN: tuple[tuple[Choice, ...], ...] = (
    (("core:home", _("Home"), None),),
    (("cases:list", _("Cases"), "cases.view_case"),),
    (("lapangan:shell", _("Field app"), FIELD),),
    (
        ("referrals:list", _("Referrals"), "referrals.view_referral"),
        ("referrals:portal", _("Referrals to us"), "referrals.respond_referral"),
    ),
    (
        ("complaints:queue", _("Complaints"), "grievances.view_complaint"),
        ("complaints:new", _("Record a complaint"), "grievances.add_complaint"),
    ),
    (("programs:index", _("Programs"), "programs.view_selectionround"),),
    (("payments:cycles", _("Payments"), "payments.view_paymentcycle"),),
    (("vulnerability:estimates", _("Vulnerable children"), "vulnerability.view_estimates"),),
    (("registry:import_list", _("Imports"), "registry.view_importbatch"),),
    (("registry:match_list", _("Possible matches"), "registry.view_linkcandidate"),),
    (("privacy:requests", _("Data requests"), "privacy.view_subjectrequest"),),
    (("monitoring:dashboard", _("Monitoring"), "monitoring.view_dashboard"),),
    (("referral_reports:index", _("Service reports"), "referrals.view_report"),),
    (("providers:list", _("Service providers"), "referrals.view_provider"),),
    (("accounts:organisation_list", _("Organisations"), "accounts.view_organisation"),),
    (("areas:browse", _("Areas"), "areas.view_area"),),
)
ACCOUNT: tuple[tuple[Choice, ...], ...] = (
    (("accounts:password_change", _("Password"), None),),
    (("accounts:second_factor", _("Second factor"), None),),
    # work alerts by WhatsApp: every signed-in user chooses for themselves (issue 20)
    (("messaging:me", _("My messages"), None),),
    (("audit:log", _("Audit trail"), "audit.view_auditevent"),),
    (("retention:index", _("Data retention"), "retention.view_retentionrule"),),
    # oversight, like the audit trail: a coordinator is told of breaches, the data protection
    # officer records them (their daily work, data requests, is a main link)
    (("privacy:breaches", _("Breach register"), "privacy.view_breach"),),
    (("webhooks:list", _("Webhooks"), "webhooks.view_subscriber"),),
    # Primero v2 case exchange (decision 0038): supervisors and coordinators import cases
    (("primero:import", _("Import from Primero"), "primero.import_case"),),
    (("admin:index", _("Administration"), STAFF),),
    (("api:openapi-view", "API", None),),
)
# Signed out: the public complaint form (the sign-in page is where everyone else lands).
PUBLIC: tuple[tuple[Choice, ...], ...] = (
    (("complaints_public:form", _("Make a complaint"), None),),
)


@dataclass(frozen=True)
class Link:
    url: str
    label: str
    current: str = ""  # the aria-current value: "page" on the page itself, "true" below it


@dataclass(frozen=True)
class Navigation:
    main: list[Link]
    account: list[Link]


def _may(user: Any, need: str | None) -> bool:
    if need is None:
        return True
    if need == STAFF:
        return bool(user.is_staff)
    if need == FIELD:
        return user.has_perm("cases.change_case") and not user.has_perm("cases.approve_case")
    return bool(user.has_perm(need))


def _links(table: tuple[tuple[Choice, ...], ...], user: Any) -> list[tuple[str, str]]:
    found = []
    for choices in table:
        for url_name, label, need in choices:
            if _may(user, need):
                found.append((reverse(url_name), str(label)))
                break
    return found


def _current_url(urls: list[str], path: str) -> str | None:
    """The link whose address is the longest prefix of the path ("/" only on itself):
    /referrals/reports/ is in "Service reports", not in "Referrals"."""
    inside = [url for url in urls if path == url or (url != "/" and path.startswith(url))]
    return max(inside, key=len, default=None)


def navigation(*, user: Any, path: str) -> Navigation:
    """The header's links for this user, the section of ``path`` marked current."""
    if user.is_authenticated:
        main, account = _links(MAIN, user), _links(ACCOUNT, user)
    else:
        main, account = _links(PUBLIC, user), []
    current = _current_url([url for url, _label in main + account], path)

    def link(url: str, label: str) -> Link:
        if url != current:
            return Link(url, label)
        return Link(url, label, "page" if url == path else "true")

    return Navigation(
        main=[link(url, label) for url, label in main],
        account=[link(url, label) for url, label in account],
    )
