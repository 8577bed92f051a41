"""The shared form pieces: the error summary (_error_summary.html), one field (_field.html) and
the codes-to-words filters (record kinds, role names)."""

import re

from django import forms
from django.template import Context, Template
from django.utils import translation

from pksai.core.labels import record_kind


class _Form(forms.Form):
    name = forms.CharField(label="Name", help_text="As on the family card.")
    phone = forms.CharField(label="Phone", required=False)
    sex = forms.ChoiceField(
        label="Sex", choices=[("F", "Female"), ("M", "Male")], widget=forms.RadioSelect
    )
    agree = forms.BooleanField(label="I agree")

    def clean(self):
        raise forms.ValidationError("Something is wrong with the whole form.")


def _render(form) -> str:
    return Template("{% include '_fields.html' %}").render(Context({"form": form}))


def test_the_summary_lists_every_error_as_a_link_to_its_field_and_takes_focus():
    with translation.override("en"):
        html = _render(_Form(data={"phone": "1"}))
    summary = html.split('<div class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "There is a problem" in summary
    assert 'role="alert"' in summary and "autofocus" in summary and 'tabindex="-1"' in summary
    assert "<li>Something is wrong with the whole form.</li>" in summary
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert [target for target, _text in links] == ["id_name", "id_sex", "id_agree"]
    # each link's target exists on the page (the radio group: its fieldset)
    for target, _text in links:
        assert f'id="{target}"' in html


def test_no_summary_without_errors():
    assert "error-summary" not in _render(_Form())  # unbound: nothing to say yet


def test_hints_and_errors_are_tied_to_their_field():
    html = _render(_Form(data={"phone": "1"}))
    name_input = re.search(r"<input[^>]*name=\"name\"[^>]*>", html).group()
    assert 'aria-describedby="id_name_helptext id_name_error"' in name_input
    assert 'aria-invalid="true"' in name_input
    assert 'id="id_name_helptext"' in html and 'id="id_name_error"' in html
    # radio buttons: the fieldset carries the description, with a legend for the group
    fieldset = re.search(r"<fieldset[^>]*>", html).group()
    assert 'aria-describedby="id_sex_error"' in fieldset and "<legend>" in html
    # the field without a hint or an error points at nothing
    phone_input = re.search(r"<input[^>]*name=\"phone\"[^>]*>", html).group()
    assert "aria-describedby" not in phone_input


def test_record_kinds_and_roles_as_words():
    rendered = Template(
        "{% load labels role_labels %}{{ kind|record_kind }} | {{ roles|role_labels }} | "
        "{{ other|record_kind }}"
    )
    context = Context(
        {"kind": "cases.case", "roles": "social_worker,supervisor", "other": "api.token"}
    )
    with translation.override("id"):
        indonesian = rendered.render(context)
    with translation.override("en"):
        english = rendered.render(context)
    assert english == "Case | Social worker / facilitator, Supervisor | api.token"
    assert indonesian.startswith("Kasus | ") and "social_worker" not in indonesian
    with translation.override("en"):
        assert record_kind("referrals.report.services") == (
            "Report: Service providers and referrals"
        )
        assert record_kind("vulnerability.outreach") == "Outreach list"
