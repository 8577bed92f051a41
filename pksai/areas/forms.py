"""The area picker: one form field for every place a user enters or filters an area.

``AreaField`` is a text field. With script, ``area-picker.js`` turns it into a combo box that
suggests places while the user types (``areas:suggest`` in the user's scope, or
``areas:suggest_public`` for the whole country) and submits the chosen code. Without script,
the server reads what was typed — a code, a label as the picker shows it, or a name — and
either takes the one place it names or shows the places it could mean to choose from. The
cleaned value is always the area code.

A field limited to the user's scope needs that user (``scope_area_fields(form, user)``); a
field of a public page says ``public=True``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from pksai.accounts.scoping import scope_for
from pksai.areas.codes import normalise_area_code
from pksai.areas.models import Area
from pksai.areas.selectors import Place, Resolution, area_resolve, place_get

VILLAGE = (Area.Level.VILLAGE,)
REGENCY_OR_DISTRICT = (Area.Level.REGENCY, Area.Level.DISTRICT)
ANY_LEVEL: tuple[int, ...] = ()
PUBLIC_LEVELS = (Area.Level.PROVINCE, Area.Level.REGENCY, Area.Level.DISTRICT)
NO_AREA = "-"  # a filter value no area code matches (what was typed named no one place)


def kind_of(levels: Sequence[int]) -> str:
    """What the field asks for, in words: "village", "regency, city or district", "place"."""
    wanted = set(levels)
    # "district" is a kecamatan here (elsewhere in the catalogue it may be a regency)
    if wanted == {Area.Level.VILLAGE}:
        return pgettext("area kind", "village")
    if wanted == {Area.Level.DISTRICT}:
        return pgettext("area kind", "district")
    if wanted == {Area.Level.REGENCY}:
        return pgettext("area kind", "regency or city")
    if wanted == {Area.Level.REGENCY, Area.Level.DISTRICT}:
        return pgettext("area kind", "regency, city or district")
    return pgettext("area kind", "place")


class AreaPicker(forms.Widget):
    """A text input with the chosen place's kind and code in small print under it, the
    places a typed name could mean (after an ambiguous submission), and the script that
    makes it a combo box. Rendered with the project's templates (``areas/widgets/``)."""

    template_name = "areas/widgets/area_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.levels: tuple[int, ...] = ()
        self.public = False
        self.candidates: tuple[Place, ...] = ()
        self.more = 0
        self.resolved: tuple[str, Place] | None = None  # (what was typed, the place it named)

    def search_url(self) -> str:
        url = reverse("areas:suggest_public" if self.public else "areas:suggest")
        levels = "&".join(f"level={level}" for level in self.levels)
        return f"{url}?{levels}" if levels else url

    def value_from_datadict(self, data, files, name: str) -> str:
        """What was typed — unless the user chose one of the listed places (``<name>__pick``)
        and left the text as it was (``<name>__for``)."""
        value = data.get(name) or ""
        pick, typed = data.get(f"{name}__pick"), data.get(f"{name}__for")
        if pick and typed is not None and " ".join(value.split()) == " ".join(typed.split()):
            return pick
        return value

    def value_omitted_from_data(self, data, files, name: str) -> bool:
        return name not in data

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        text = " ".join(("" if value is None else str(value)).split())
        if self.resolved and self.resolved[0] == text:
            place: Place | None = self.resolved[1]
        else:
            place = place_get(text) if text else None
        hint_id = f"{widget['attrs'].get('id') or name}-hint"
        described = widget["attrs"].get("aria-describedby", "")
        widget["attrs"]["aria-describedby"] = f"{described} {hint_id}".strip()
        widget.update(
            display=place.label if place else text,
            place=place,
            typed=text,
            hint_id=hint_id,
            candidates=self.candidates,
            more=self.more,
            search_url=self.search_url(),
            kind=kind_of(self.levels),
        )
        return context

    def render(self, name, value, attrs=None, renderer=None) -> str:
        # The project's template engine (the form renderer sees only the apps' templates);
        # a rendered template is already safe.
        return render_to_string(self.template_name, self.get_context(name, value, attrs))


class AreaField(forms.CharField):
    """An area chosen by name or code; cleans to the area code (``""`` when left empty).

    ``levels``: the levels the field accepts (empty: any). ``public``: the whole country, for
    pages without an account; otherwise only places inside ``scope_user``'s scope."""

    widget = AreaPicker

    def __init__(
        self,
        *,
        levels: Iterable[int] = ANY_LEVEL,
        scope_user: Any = None,
        public: bool = False,
        **kwargs: Any,
    ):
        kwargs.setdefault("max_length", 300)
        super().__init__(**kwargs)
        self.levels = tuple(int(level) for level in levels)
        self.public = public
        self.scope_user = scope_user
        self.widget.levels = self.levels
        self.widget.public = public

    def within(self) -> Sequence[str] | None:
        """The area codes to search in (None: the whole country)."""
        if self.public:
            return None
        if self.scope_user is None:
            raise ImproperlyConfigured("An AreaField needs scope_user or public=True.")
        scope = scope_for(self.scope_user)
        return None if scope.national else scope.area_codes

    def clean(self, value: Any) -> str:
        text = " ".join(str(super().clean(value) or "").split())
        self.widget.candidates, self.widget.more = (), 0
        if not text:
            return ""
        found = area_resolve(text=text, within=self.within(), levels=self.levels)
        if found.place is not None:
            self.widget.resolved = (text, found.place)
            return found.place.code
        self.widget.candidates, self.widget.more = found.candidates, found.more
        raise forms.ValidationError(self._message(found, text), code=found.problem)

    def _message(self, found: Resolution, text: str) -> str:
        kind = kind_of(self.levels)
        if found.problem == "many":
            many = _("Several places match “%(q)s”: choose one from the list, or type more.")
            return str(many) % {"q": text}
        if found.problem == "level" and found.found is not None:
            return str(_("%(place)s is a %(found)s; choose a %(kind)s.")) % {
                "place": found.found.label,
                "found": found.found.level_label,
                "kind": kind,
            }
        if found.problem == "scope" and found.found is not None:
            return str(_("%(place)s is outside your area of work.")) % {"place": found.found.label}
        if normalise_area_code(text):
            return str(_("Unknown area code."))
        if self.public:
            return str(_("No %(kind)s called “%(q)s”.")) % {"kind": kind, "q": text}
        return str(_("No %(kind)s called “%(q)s” in your area.")) % {"kind": kind, "q": text}


def scope_area_fields(form: forms.BaseForm, user: Any) -> None:
    """Limit every area field of ``form`` that is not public to ``user``'s scope."""
    for field in form.fields.values():
        if isinstance(field, AreaField) and not field.public:
            field.scope_user = user


class AreaFilterForm(forms.Form):
    """The area filter of a list page (a GET parameter, ``area`` unless told otherwise):
    render ``form[name]`` in the page's filter form and filter by ``filter_code``."""

    def __init__(
        self,
        data: Any,
        *,
        user: Any,
        name: str = "area",
        label: Any = None,
        levels: Iterable[int] = ANY_LEVEL,
    ):
        keys = (name, f"{name}__pick", f"{name}__for")  # the rest of the query is not ours
        super().__init__(
            {key: data[key] for key in keys if key in data} | {name: data.get(name, "")}
        )
        self.name = name
        self.fields[name] = AreaField(
            label=label or _("Area"), required=False, levels=levels, scope_user=user
        )

    @property
    def field(self) -> forms.BoundField:
        return self[self.name]

    @property
    def filter_code(self) -> str:
        """The chosen area's code; "" without a filter; ``NO_AREA`` (matches no area) when
        what was typed names no single place in the user's scope."""
        if not self.data.get(self.name, "").strip():
            return ""
        return self.cleaned_data[self.name] if self.is_valid() else NO_AREA
