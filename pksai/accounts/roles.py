"""The roles of DOMAIN.md as Django groups with explicit permissions.

This table is the single source of the default grants. `pksai sync-roles` (also run after every
migrate) makes each group hold exactly these permissions. Later apps add their permissions here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    slug: str
    label: str
    description: str
    permissions: tuple[str, ...]
    national_only: bool = False
    staff: bool = False  # may open the Django admin (reference data)


_READ_AREAS = ("areas.view_area",)
_SEE_ORGANISATIONS = ("accounts.view_organisation",)
_SECRETARIAT = _READ_AREAS + _SEE_ORGANISATIONS
# Person-level registry data: secretariat staff in their own area only (aggregates come later).
_CASEWORK = ("cases.view_case", "cases.add_case", "cases.change_case")
# Referrals of cases in scope; the provider directory.
_REFERRALS = (
    "referrals.view_referral",
    "referrals.add_referral",
    "referrals.change_referral",
    "referrals.view_provider",
)
_DIRECTORY = ("referrals.add_provider", "referrals.change_provider")
_REFERRAL_REPORTS = ("referrals.view_report",)
# Payment cycles, payer batches and return files.
_PAYMENTS = (
    "payments.view_paymentcycle",
    "payments.add_paymentcycle",
    "payments.view_entitlement",
    "payments.view_payerbatch",
    "payments.add_payerbatch",
    "payments.view_deliveryevent",
    # PKSA child savings accounts: open, deposit, plan, approve the plan, withdraw against it.
    "payments.view_savingsaccount",
    "payments.add_savingsaccount",
    "payments.view_savingsentry",
    "payments.add_savingsentry",
    "payments.view_fundplan",
    "payments.add_fundplan",
    "payments.approve_fundplan",
    # in-kind items (nutrition packages): see them, record delivery
    "payments.view_inkinditem",
    "payments.change_inkinditem",
)
# Case staff nominate children from their cases (refused while an emergency action waits).
_NOMINATE = ("programs.view_program", "programs.view_nomination", "programs.add_nomination")
# Supervisors and coordinators watch facilitators' caseloads and monthly reports.
_SEE_BENEFICIARIES = ("programs.view_beneficiary",)
# Program administration: nominate, run selection rounds, enrol (approval is separate).
_PROGRAMS = (
    "programs.view_program",
    "programs.view_nomination",
    "programs.add_nomination",
    "programs.change_nomination",
    "programs.view_selectionround",
    "programs.add_selectionround",
    "programs.change_selectionround",
    "programs.view_beneficiary",
    "programs.add_beneficiary",
    "programs.change_beneficiary",
    "programs.view_suspension",
    "programs.add_suspension",
    "programs.change_suspension",
)
# Complaints: receive (staff entry, facilitators from a visit), see and handle in scope.
_TAKE_COMPLAINTS = ("grievances.add_complaint",)
_COMPLAINTS = (
    "grievances.view_complaint",
    "grievances.add_complaint",
    "grievances.change_complaint",
)
_COMPLAINT_REPORTS = ("grievances.view_complaint_report",)
# Messages sent, delivered and failed per channel and area (aggregates; issue 20).
_MESSAGE_REPORTS = ("messaging.view_message_report",)
# Finance (budget lines, efficiency, execution): imported and read by program officers;
# the data centre reads the aggregates.
_FINANCE = (
    "monitoring.view_budgetline",
    "monitoring.add_budgetline",
    "monitoring.change_budgetline",
)
_SEE_FINANCE = ("monitoring.view_budgetline",)
# Baselines and targets per indicator, area and year (admin and ``pksai import-targets``).
_TARGETS = ("monitoring.add_indicatortarget", "monitoring.change_indicatortarget")
_DASHBOARD = ("monitoring.view_dashboard",)
# The consent ledger (UU 27/2022): case staff record consents and withdrawals and see the legal
# grounds; supervisors and coordinators record (and end) a legal ground for sharing without
# consent. The data protection officer handles requests from data subjects and breaches.
_CONSENT = (
    "privacy.view_consent",
    "privacy.add_consent",
    "privacy.change_consent",
    "privacy.view_legalground",
)
_LEGAL_GROUNDS = ("privacy.add_legalground", "privacy.change_legalground")
_REPORT_BREACH = ("privacy.view_breach", "privacy.add_breach")
_DATA_PROTECTION = (
    "privacy.view_consent",
    "privacy.view_legalground",
    "privacy.view_subjectrequest",
    "privacy.add_subjectrequest",
    "privacy.change_subjectrequest",
    "privacy.export_subjectrequest",
    "privacy.view_breach",
    "privacy.add_breach",
    "privacy.change_breach",
)
# Retention (UU PDP): the schedule, what is due, the runs; legal holds placed and released.
_SEE_RETENTION = (
    "retention.view_retentionrule",
    "retention.view_legalhold",
    "retention.view_retentionrun",
)
_HOLDS = ("retention.add_legalhold", "retention.change_legalhold")
# Primero v2 case exchange (decision 0038): case staff send a case; supervisors and
# coordinators also import Primero cases.
_PRIMERO_EXPORT = ("primero.export_case",)
_PRIMERO = ("primero.export_case", "primero.import_case")
_SEE_REGISTRY = (
    "registry.view_household",
    "registry.view_person",
    "vulnerability.view_score",
    "vulnerability.view_estimates",
    "vulnerability.view_ruleset",
)

ROLES: tuple[Role, ...] = (
    Role(
        "coordinator",
        _("Coordinator"),
        _("Leads the district PKSAI secretariat."),
        _SECRETARIAT
        + _SEE_REGISTRY
        + _CASEWORK
        + ("cases.triage_case", "cases.approve_case", "cases.view_restricted_case")
        + ("accounts.change_organisation", "accounts.add_organisation")
        + _REFERRALS
        + _DIRECTORY
        + _REFERRAL_REPORTS
        + _NOMINATE
        + _SEE_BENEFICIARIES
        + _COMPLAINTS
        + _COMPLAINT_REPORTS
        + _MESSAGE_REPORTS
        + _DASHBOARD
        + _CONSENT
        + _LEGAL_GROUNDS
        + _REPORT_BREACH
        + _SEE_RETENTION
        + _HOLDS
        + _PRIMERO,
    ),
    Role(
        "supervisor",
        _("Supervisor"),
        _("Supervises social workers; approves case plans and closures."),
        _SECRETARIAT
        + _SEE_REGISTRY
        + _CASEWORK
        + ("cases.triage_case", "cases.approve_case")
        + _REFERRALS
        + _REFERRAL_REPORTS
        + _NOMINATE
        + _SEE_BENEFICIARIES
        + _COMPLAINTS
        + _DASHBOARD
        + _CONSENT
        + _LEGAL_GROUNDS
        + _PRIMERO,
    ),
    Role(
        "psychologist",
        _("Psychologist"),
        _("Psychosocial assessment and support."),
        _SECRETARIAT + _SEE_REGISTRY + _CASEWORK + _REFERRALS + _CONSENT,
    ),
    Role(
        "data_officer",
        _("Data officer"),
        _("Keeps the vulnerability database and imports."),
        _SECRETARIAT
        + _SEE_REGISTRY
        + (
            "registry.view_importbatch",
            "registry.add_importbatch",
            "registry.view_linkcandidate",
            "registry.change_linkcandidate",
            "vulnerability.add_ruleset",
            "vulnerability.change_ruleset",
            "referrals.view_provider",
        )
        + _DIRECTORY,
    ),
    Role(
        "registration_staff",
        _("Registration and complaints staff"),
        _("Registers reports and complaints."),
        _SECRETARIAT
        + _SEE_REGISTRY
        + ("cases.view_case", "cases.add_case", "referrals.view_provider")
        + _COMPLAINTS,
    ),
    Role(
        "social_worker",
        _("Social worker / facilitator"),
        _("Sakti Peksos, TKSK, PKH and other frontline workers."),
        _SECRETARIAT
        + _SEE_REGISTRY
        + _CASEWORK
        + ("cases.triage_case",)
        + _REFERRALS
        + _NOMINATE
        + _TAKE_COMPLAINTS
        + _CONSENT
        + _PRIMERO_EXPORT,
    ),
    Role(
        "focal_person",
        _("Service-provider focal person"),
        _("Receives referrals for one organisation."),
        ("referrals.respond_referral",),
    ),
    Role(
        "program_officer",
        _("Program officer"),
        _("Administers PKSA, JSLU and JSPACA at district, province or ministry."),
        _SECRETARIAT
        + _SEE_REGISTRY
        + ("referrals.view_provider",)
        + _REFERRAL_REPORTS
        + _PROGRAMS
        + ("programs.approve_selectionround",)
        + _PAYMENTS
        + _COMPLAINTS
        + _COMPLAINT_REPORTS
        + _MESSAGE_REPORTS
        + _FINANCE
        + _TARGETS
        + _DASHBOARD,
    ),
    Role(
        "complaints_officer",
        _("Complaints officer"),
        _(
            "Handles complaints, including the restricted queue (misconduct, deductions by "
            "intermediaries), at district, province or ministry."
        ),
        _SECRETARIAT
        + _COMPLAINTS
        + ("grievances.view_restricted_complaint",)
        + _COMPLAINT_REPORTS
        + _MESSAGE_REPORTS
        + _DASHBOARD,
    ),
    Role(
        "data_protection_officer",
        _("Data protection officer"),
        _(
            "Answers requests from data subjects (access, correction, deletion), keeps the "
            "breach register with its notices and the legal holds against the retention "
            "schedule (UU 27/2022)."
        ),
        _SECRETARIAT + _DATA_PROTECTION + _SEE_RETENTION + _HOLDS,
    ),
    Role(
        "national_analyst",
        _("National analyst"),
        _("Ministry data centre (Pusdatin): aggregate figures."),
        _READ_AREAS
        + _SEE_ORGANISATIONS
        + ("vulnerability.view_estimates", "referrals.view_provider")
        + _REFERRAL_REPORTS
        + _COMPLAINT_REPORTS
        + _MESSAGE_REPORTS
        + _SEE_FINANCE
        + _DASHBOARD,
        national_only=True,
    ),
    Role(
        "auditor",
        _("Auditor"),
        _("Reads the audit trail."),
        _READ_AREAS + _SEE_ORGANISATIONS + ("audit.view_auditevent",) + _SEE_RETENTION,
    ),
    Role(
        "administrator",
        _("Administrator"),
        _("Manages users, roles, reference data and API tokens."),
        _READ_AREAS
        + (
            "areas.change_area",
            "accounts.view_organisation",
            "accounts.add_organisation",
            "accounts.change_organisation",
            "accounts.view_user",
            "accounts.add_user",
            "accounts.change_user",
            "auth.view_group",
            "accounts.view_apitoken",
            "accounts.add_apitoken",
            "accounts.change_apitoken",
            "audit.view_auditevent",
            "cases.view_slarule",
            "cases.change_slarule",
            "cases.view_followupinterval",
            "cases.add_followupinterval",
            "cases.change_followupinterval",
            "cases.delete_followupinterval",
            "referrals.view_service",
            "referrals.add_service",
            "referrals.change_service",
            "referrals.view_referralsla",
            "referrals.change_referralsla",
            "referrals.view_provider",
            "programs.view_program",
            "programs.add_program",
            "programs.change_program",
            "programs.view_benefitrule",
            "programs.add_benefitrule",
            "programs.view_quota",
            "programs.add_quota",
            "programs.change_quota",
            "programs.view_conditionality",
            "programs.add_conditionality",
            "programs.change_conditionality",
            "programs.view_consequencestep",
            "programs.add_consequencestep",
            "programs.change_consequencestep",
            "grievances.view_complaintsla",
            "grievances.add_complaintsla",
            "privacy.view_purpose",
            "privacy.add_purpose",
            "privacy.change_purpose",
            "privacy.view_requestrule",
            "privacy.add_requestrule",
            "retention.add_retentionrule",
            # outbound webhooks: subscribers, their delivery logs and replays (decision 0035)
            "webhooks.view_subscriber",
            "webhooks.add_subscriber",
            "webhooks.change_subscriber",
            "webhooks.approve_subscriber",
            "webhooks.view_delivery",
        )
        + _SEE_RETENTION
        + _HOLDS
        + _DIRECTORY,
        staff=True,
    ),
)
ROLE_BY_SLUG = {role.slug: role for role in ROLES}


def role_label(slug: str) -> str:
    role = ROLE_BY_SLUG.get(slug)
    return str(role.label) if role else slug


def sync_roles(using: str = "default") -> dict[str, int]:
    """Create or update one group per role holding exactly its permissions."""
    from django.contrib.auth.models import Group, Permission

    wanted = {p for role in ROLES for p in role.permissions}
    found = {
        f"{app}.{codename}": pk
        for pk, app, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    missing = sorted(wanted - found.keys())
    if missing:
        raise LookupError(f"Roles refer to unknown permissions: {', '.join(missing)}")
    result = {}
    for role in ROLES:
        group, _created = Group.objects.using(using).get_or_create(name=role.slug)
        group.permissions.set([found[p] for p in role.permissions])
        result[role.slug] = len(role.permissions)
    return result


def sync_roles_after_migrate(app_config, using="default", apps=global_apps, **kwargs):
    # Permissions of apps migrated after this one may not exist yet: create them all first.
    for config in global_apps.get_app_configs():
        create_contenttypes(config, verbosity=0, using=using)
        create_permissions(config, verbosity=0, using=using)
    sync_roles(using=using)
