from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.audit.services import audit_record
from pksai.core.labels import record_kind


def test_auditor_searches_and_filters_the_trail(client, pilot_areas):
    make_user("someone", scope=["73.71"])
    audit_record(action="export", username="someone", object_type="registry.person", object_id="7")
    audit_record(action="view", username="other", object_type="cases.case", object_id="8")
    client.force_login(make_user("aud", roles=["auditor"], scope=["73"]))

    page = client.get("/audit/")
    assert page.status_code == 200
    # record kinds as words in the reader's language (Indonesian here), never model labels
    person, case = record_kind("registry.person"), record_kind("cases.case")
    assert person != "registry.person" and case != "cases.case"
    assert f"{person} 7" in page.text and f"{case} 8" in page.text

    filtered = client.get("/audit/?action=export&username=someone", headers={"HX-Request": "true"})
    assert f"{person} 7" in filtered.text and f"{case} 8" not in filtered.text
    assert "registry.person" not in filtered.text
    assert "<html" not in filtered.text

    # Reading the trail is itself recorded, with the filters used.
    reads = AuditEvent.objects.filter(actor_username="aud", action="view")
    assert reads.count() == 2
    assert reads.first().detail == {"filters": {"action": "export", "username": "someone"}}


def test_social_worker_is_denied_and_the_denial_is_audited(client, pilot_areas):
    client.force_login(make_user("sw", roles=["social_worker"], scope=["73.71"]))
    response = client.get("/audit/")
    assert response.status_code == 403
    denial = AuditEvent.objects.get(action="permission_denied", actor_username="sw")
    assert denial.path == "/audit/"
    assert "audit.view_auditevent" in denial.detail["reason"]


def test_admin_offers_no_change_or_delete(client, pilot_areas):
    event = audit_record(action="view", username="x")
    client.force_login(make_user("adm", roles=["administrator"], national=True))
    assert client.get("/admin/audit/auditevent/").status_code == 200
    detail = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.text
    assert client.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
