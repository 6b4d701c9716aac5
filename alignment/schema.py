"""How the OpenAPI schema (drf-spectacular) describes the API: what it answers, as it answers it.

Both are wired in settings: `AutoSchema` as DRF's schema class, the hook in SPECTACULAR_SETTINGS.
"""

import copy

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import force_instance

from alignment.rest import InputSerializer

JSON = "application/json"


class AutoSchema(SpectacularAutoSchema):
    """Request bodies are documented as JSON only. Endpoints also parse form posts (a browser
    posting with its session), but a generated client that reads form media types in the schema
    sends form data, which cannot carry nested objects or a null. An endpoint that is meant for
    other bodies says so itself: the public web form lists form posts in its `extend_schema`, the
    CSV import takes only multipart."""

    def map_parsers(self):
        media_types = super().map_parsers()
        return [JSON] if JSON in media_types else media_types

    def _map_basic_serializer(self, serializer, direction):
        """An input serializer refuses the fields it does not list (400): the schema says so, and a
        generated client or a fuzzer does not send them expecting them to be kept."""
        result = super()._map_basic_serializer(serializer, direction)
        if isinstance(force_instance(serializer), InputSerializer):
            result["additionalProperties"] = False
        return result


def nullable_refs_typed(result, generator, request, public):
    """Postprocessing hook. OpenAPI 3.0 reads `nullable: true` only beside a `type` in the same
    schema, so drf-spectacular's `{allOf: [$ref], nullable: true}` (an `owner` that may be null)
    rejects the null it stands for, in validators and in generated clients alike. Each such schema
    becomes the referenced object itself — its type and properties — marked nullable."""
    components = result.get("components", {}).get("schemas", {})

    def fix(node):
        if isinstance(node, list):
            for item in node:
                fix(item)
            return
        if not isinstance(node, dict):
            return
        refs = node.get("allOf")
        if node.get("nullable") and "type" not in node and isinstance(refs, list) and len(refs) == 1:
            target = components.get(str(refs[0].get("$ref", "")).rpartition("/")[2])
            if target is not None and target.get("type") == "object":
                del node["allOf"]
                for key, value in copy.deepcopy(target).items():
                    node.setdefault(key, value)
        for value in node.values():
            fix(value)

    fix(result.get("paths", {}))
    fix(components)
    return result
