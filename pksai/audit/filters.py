import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from pksai.audit.models import AuditEvent
from pksai.core.labels import record_kind_choices


class AuditEventFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(
        field_name="actor_username", lookup_expr="iexact", label=_("Username")
    )
    action = django_filters.ChoiceFilter(choices=AuditEvent.Action.choices, label=_("Action"))
    object_type = django_filters.ChoiceFilter(choices=record_kind_choices, label=_("Object type"))
    object_id = django_filters.CharFilter(lookup_expr="exact", label=_("Object id"))
    ip = django_filters.CharFilter(lookup_expr="exact", label=_("IP address"))
    request_id = django_filters.CharFilter(lookup_expr="exact", label=_("Request id"))
    since = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__lte",
        label=_("Until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = []
