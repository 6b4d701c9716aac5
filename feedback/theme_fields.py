"""The API's pain theme fields: codes in, codes out, the active codes as an enum in the schema."""

from django.db import DatabaseError, transaction
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from feedback.themes import pain_theme_active_codes


class PainThemeCodeField(serializers.CharField):
    """A pain theme code (`price`, `integration`, ...). The service checks it against the active
    themes; the OpenAPI schema lists those as an enum, read when the schema is built."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)


class PainThemeCodeFieldExtension(OpenApiSerializerFieldExtension):
    target_class = PainThemeCodeField

    def map_serializer_field(self, auto_schema, direction):
        # `manage.py check` may build the schema before the first migration: no table, no enum.
        try:
            with transaction.atomic():
                codes = pain_theme_active_codes()
        except DatabaseError:
            codes = []
        schema = {"type": "string", "description": "One of the active pain theme codes."}
        if codes:
            schema["enum"] = codes
        return schema


class PainThemesInput(serializers.Serializer):
    """Mixed into an input serializer: `pain_themes`, a list of theme codes."""

    pain_themes = serializers.ListField(
        child=PainThemeCodeField(), max_length=50, required=False, help_text="Pain theme codes, from the managed list."
    )


class PainThemesOutput(serializers.Serializer):
    """Mixed into an output serializer: `pain_themes` as their codes."""

    pain_themes = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
