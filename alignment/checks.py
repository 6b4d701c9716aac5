"""System checks: what would otherwise fail only on the first request, said at start-up instead."""

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages


# Not tagged "staticfiles": collectstatic runs those checks, and it is what makes this one pass.
@register("alignment_static")
def static_manifest_check(app_configs=None, **kwargs) -> list[Error]:
    """With DEBUG off, pages link static files by the hashed names in the manifest `collectstatic`
    writes; without it every page would answer 500."""
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin) or storage.manifest_storage.exists(storage.manifest_name):
        return []
    return [
        Error(
            f"The static files manifest ({storage.manifest_storage.path(storage.manifest_name)}) is missing: "
            "with DEBUG off every page would answer 500.",
            hint="Run `python manage.py collectstatic --noinput` before serving (the Docker image does).",
            id="alignment.E001",
        )
    ]


def static_manifest_require() -> None:
    """Refuse to start a web process that could not serve a page (wsgi.py calls this)."""
    for error in static_manifest_check():
        raise ImproperlyConfigured(f"{error.msg} {error.hint}")
