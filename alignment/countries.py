"""Countries, as both departments name them: stored as the ISO 3166 alpha-2 code, typed as a code or
the English name, picked from a list on the pages. The list and the names are django-countries'."""

import functools

from django import forms
from django.contrib import admin
from django_countries import countries


def country_code(value) -> str:
    """The ISO code of a country given by its code (DE, de, DEU, 276) or English name (any case,
    e.g. "germany"); "" for nothing. Anything else is a ValueError, never a code cut from a name:
    "Germany" cut to two letters would be Georgia."""
    text = str(value or "").strip()
    if not text:
        return ""
    return _code_of_text(text)


@functools.lru_cache(maxsize=1024)
def _code_of_text(text: str) -> str:
    """Remembered: imported rows name the same few countries over and over, and a lookup by name
    was a third of the time a row's checks took. (A ValueError is not remembered.)"""
    code = countries.alpha2(text) or countries.by_name(text)
    if not code:
        raise ValueError(f"Unknown country “{text[:60]}”: use an ISO code (e.g. DE) or the English name (Germany).")
    return code


def country_name(code) -> str:
    """The English name of a stored code ("DE" -> "Germany"); the code itself if it names none."""
    return countries.name(code) or code if code else ""


def country_choices(blank: str = "No country"):
    return [("", blank), *countries]


class CountryChoiceField(forms.ChoiceField):
    """A select of every country by name, its value the ISO code. A post that sends a code in
    another case or an English name (a script, an older form) is taken the way capture takes it."""

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return country_code(value)
        except ValueError:
            return value  # not one of the choices: the field says so


def country_form_field(*, required: bool = False, **kwargs) -> forms.ChoiceField:
    return CountryChoiceField(choices=lambda: country_choices(), required=required, **kwargs)


class CountrySelectAdmin(admin.ModelAdmin):
    """An admin whose `country` field is picked from the list of countries, not typed."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "country":
            return country_form_field(required=not db_field.blank, label=db_field.verbose_name.capitalize())
        return super().formfield_for_dbfield(db_field, request, **kwargs)
