"""Numbers typed on a phone get the number pad (inputmode) and no wrong autofill."""

from pksai.accounts.forms import LoginForm
from pksai.accounts.tests.factories import make_user
from pksai.cases.forms import IntakeForm
from pksai.grievances.forms import StaffComplaintForm
from pksai.referrals.forms_directory import ProviderForm


def attrs(form, name: str) -> dict:
    return form.fields[name].widget.attrs


def test_case_intake_nik_and_phones(pilot_areas):
    form = IntakeForm(user=make_user(roles=["social_worker"], scope=["73.71"]))
    assert attrs(form, "child_nik") | {} == {
        "inputmode": "numeric",
        "autocomplete": "off",
        "maxlength": "16",
    }
    for name in ("reporter_phone", "g0_phone", "g1_phone"):
        assert attrs(form, name)["inputmode"] == "tel"
        assert attrs(form, name)["autocomplete"] == "off"  # someone else's number
    assert 'inputmode="numeric"' in str(form["child_nik"])


def test_complaint_forms_public_autofill_staff_none(pilot_areas):
    from pksai.grievances.forms import PublicComplaintForm

    public = PublicComplaintForm()
    assert attrs(public, "phone") == {"inputmode": "tel", "autocomplete": "tel"}
    assert attrs(public, "name")["autocomplete"] == "name"
    staff = StaffComplaintForm(user=make_user(roles=["complaints_officer"], scope=["73.71"]))
    assert attrs(staff, "phone")["inputmode"] == "tel"
    assert {attrs(staff, n)["autocomplete"] for n in ("name", "phone", "email")} == {"off"}


def test_provider_phone_and_login_user_name(pilot_areas):
    officer = make_user(roles=["coordinator"], scope=["73.71"])
    assert attrs(ProviderForm(user=officer), "phone")["inputmode"] == "tel"
    username = attrs(LoginForm(), "username")
    assert username["autocapitalize"] == "none" and username["autocomplete"] == "username"
