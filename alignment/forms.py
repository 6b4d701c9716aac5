"""What every page form shares, whichever floor it belongs to."""

from django import forms

from alignment.days import DAY_HINT


class ServiceForm(forms.Form):
    """Labels without a trailing colon; errors from a service land on the field they name (or on
    the form when they name none of its fields): what `alignment.pages.form_post` relies on."""

    label_suffix = ""

    def add_service_errors(self, error):
        fields = getattr(error, "fields", None) or {}
        placed = False
        for name, messages in fields.items():
            if name in self.fields:
                for message in messages:
                    self.add_error(name, message)
                placed = True
        if not placed:
            self.add_error(None, error.message)


class DayField(forms.DateField):
    """A day, picked with the browser's date input (keyboard friendly), typed as "31 Dec 2026"
    where there is no picker; an unreadable one says which form to use."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    default_error_messages = {"invalid": DAY_HINT}
