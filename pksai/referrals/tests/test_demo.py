import time

from django.utils import timezone

from pksai.accounts.demo import DEMO_PASSWORD, PILOT_SITES
from pksai.accounts.models import Organisation, User
from pksai.cases.demo import demo_cases
from pksai.cases.models import CaseEvent
from pksai.cases.tests.test_demo import pilot_sites  # noqa: F401  (the five pilot regencies)
from pksai.referrals import selectors
from pksai.referrals.demo import PLOTS, demo_referrals
from pksai.referrals.models import Provider, Referral, Satisfaction, Status


def test_demo_providers_and_referrals_for_every_site(pilot_sites):  # noqa: F811
    demo_cases()
    started = time.perf_counter()
    result = demo_referrals()
    elapsed = time.perf_counter() - started
    assert elapsed < 60  # a few seconds alone; only a per-row regression should trip it
    sites = len(PILOT_SITES)
    assert result.providers == Provider.objects.count() == 9 * sites
    assert result.referrals.total() == Referral.objects.count() == len(PLOTS) * sites
    assert set(result.referrals) == {
        Status.SENT,
        Status.ACKNOWLEDGED,
        Status.ACCEPTED,
        Status.DECLINED,
        Status.IN_SERVICE,
        Status.DELIVERED,
        Status.CLOSED,
    }
    assert [u for u, _role, _scope in result.users] == [
        f"{s}.dukcapil" for s, _c, _n in PILOT_SITES
    ]

    for slug, code, _name in PILOT_SITES:
        providers = Provider.objects.filter(organisation__area_id=code)
        assert set(providers.values_list("sector", flat=True)) >= {
            "civil_registry",
            "health_centre",
            "hospital",
            "police",
            "psychosocial",
            "lksa",
            "education",
            "social_assistance",
        }
        for provider in providers:
            assert provider.services.exists() and provider.opening_hours
            assert provider.contact_person and provider.organisation.phone
        # the civil registry's and the Puskesmas' focal persons answer for their organisation
        registry = providers.get(sector="civil_registry")
        registry_focal = User.objects.get(username=f"{slug}.dukcapil")
        assert registry_focal.organisation == registry.organisation
        assert list(registry_focal.scope_areas.values_list("code", flat=True)) == [code]
        assert list(selectors.focal_persons(registry)) == [registry_focal]
        puskesmas = providers.get(sector="health_centre")
        assert [u.username for u in selectors.focal_persons(puskesmas)] == [f"{slug}.focal_person"]
        # the focal person sees only their organisation's referrals
        inbox = selectors.inbox(user=registry_focal)
        assert inbox.count() == 2
        assert {r.to_organisation_id for r in inbox} == {registry.organisation_id}
        assert selectors.referral_list(user=registry_focal).count() == 2
        # one overdue referral per site, on its supervisor's list
        site = Referral.objects.filter(case__regency_id=code)
        assert site.filter(selectors.overdue_q()).count() == 1
        supervisor = User.objects.get(username=f"{slug}.supervisor")
        overdue = list(selectors.overdue_for_supervisor(user=supervisor))
        assert [r.to_organisation_id for r in overdue] == [registry.organisation_id]
        declined = site.get(status=Status.DECLINED)
        assert declined.decline_reason.startswith("Kapasitas asrama penuh")
        assert list(selectors.to_handle(user=declined.case.owner).filter(pk=declined.pk))

    assert registry_focal.check_password(DEMO_PASSWORD)
    assert Satisfaction.objects.filter(score__isnull=False).count() == 3 * sites
    assert Organisation.objects.filter(name__startswith="Puskesmas ").count() == sites

    # dated like weeks of work: history and timeline in order, nothing in the future
    now, today = timezone.now(), timezone.localdate()
    closed = Referral.objects.filter(status=Status.CLOSED, service__code="medical_treatment")
    for referral in closed:
        assert referral.sent_at < referral.responded_at < referral.closed_at < now
        assert referral.delivered_on < today
        times = list(referral.events.values_list("at", flat=True))
        assert times == sorted(times) and times[0] == referral.sent_at
        copies = CaseEvent.objects.filter(case_id=referral.case_id, params__referral=referral.pk)
        assert sorted(copies.values_list("at", flat=True)) == times

    before = (Provider.objects.count(), Referral.objects.count(), User.objects.count())
    again = demo_referrals()  # idempotent
    assert again.providers == 0 and again.referrals.total() == 0
    assert (Provider.objects.count(), Referral.objects.count(), User.objects.count()) == before
