"""Templates keep to their floor: a template under templates/<app>/ names only URLs and templates of
its own floor and the floors below (base ← leads ← feedback ← scoring, planning ← dashboard), as the code's imports do.
An upper floor supplies its pieces to a lower floor's page through a registry (`leads.panels`) or
renders the page itself. The project's own templates at the root (base.html, the error pages) are
the wiring, like alignment/urls.py, and may name any floor."""

import re
from pathlib import Path

import pytest
from django.urls import get_resolver

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# The floor of each templates folder and of each URL namespace.
FOLDER_FLOORS = {
    "alignment": 0,
    "registration": 0,
    "emails": 0,
    "admin": 0,
    "django": 0,
    "drf_spectacular": 0,
    "leads": 1,
    "feedback": 2,
    "scoring": 3,
    "planning": 3,
    "dashboard": 4,
}
NAMESPACE_FLOORS = {
    "admin": 0,
    "alignment": 0,
    "leads": 1,
    "leads-api": 1,
    "feedback": 2,
    "feedback-api": 2,
    "scoring": 3,
    "scoring-api": 3,
    "planning": 3,
    "planning-api": 3,
    "dashboard": 4,
    "dashboard-api": 4,
}
# The names Django and the libraries reverse without a namespace: the base floor's.
UNNAMESPACED = re.compile(r"^(login|logout|password_[a-z_]+|oidc_[a-z_]+|schema|docs|healthz|token|api-[a-z-]+)$")

URL = re.compile(r"""\{%\s*url\s+(['"])(?P<name>[^'"]+)\1""")
TEMPLATE_REF = re.compile(r"""\{%\s*(?:include|extends)\s+(['"])(?P<name>[^'"]+)\1""")


def _floor_of_template(name: str) -> int:
    folder = name.split("/", 1)[0] if "/" in name else None
    return 0 if folder is None else FOLDER_FLOORS[folder]


def _floor_of_url(name: str) -> int:
    namespace, _, _ = name.rpartition(":")
    if not namespace:
        assert UNNAMESPACED.match(name), f"{name!r} has no namespace: name it <app>:{name}"
        return 0
    return NAMESPACE_FLOORS[namespace.split(":")[0]]


def floor_breaches(text: str, floor: int) -> list[str]:
    """What `text`, a template on `floor`, names above it."""
    breaches = [f"url {m['name']}" for m in URL.finditer(text) if _floor_of_url(m["name"]) > floor]
    breaches += [f"template {m['name']}" for m in TEMPLATE_REF.finditer(text) if _floor_of_template(m["name"]) > floor]
    return breaches


def _app_templates():
    for folder, floor in FOLDER_FLOORS.items():
        for path in sorted((TEMPLATES / folder).rglob("*")):
            if path.is_file() and path.suffix in (".html", ".txt"):
                yield pytest.param(path, floor, id=str(path.relative_to(TEMPLATES)))


@pytest.mark.parametrize("path, floor", list(_app_templates()))
def test_a_template_names_nothing_above_its_floor(path, floor):
    assert floor_breaches(path.read_text(), floor) == []


def test_every_url_namespace_and_templates_folder_has_a_floor():
    namespaces = set(get_resolver().namespace_dict)
    folders = {path.name for path in TEMPLATES.iterdir() if path.is_dir()}

    assert namespaces - set(NAMESPACE_FLOORS) == set()
    assert folders - set(FOLDER_FLOORS) == set()


@pytest.mark.parametrize(
    "text, floor",
    [
        ("""{% include "feedback/_lead_panel.html" %}""", FOLDER_FLOORS["leads"]),
        ("""<a href="{% url 'dashboard:home' %}">inbox</a>""", FOLDER_FLOORS["leads"]),
        ("""{% url "feedback:lead-reject" lead.pk as action %}""", FOLDER_FLOORS["leads"]),
        ("""{% extends 'dashboard/dashboard.html' %}""", FOLDER_FLOORS["feedback"]),
        ("""{% include "leads/_field.html" %}""", FOLDER_FLOORS["alignment"]),
    ],
)
def test_a_name_from_a_floor_above_is_caught(text, floor):
    assert len(floor_breaches(text, floor)) == 1


def test_a_name_without_a_namespace_is_refused_unless_django_needs_it():
    with pytest.raises(AssertionError, match="has no namespace"):
        floor_breaches("""{% url 'lead-reject' lead.pk %}""", FOLDER_FLOORS["leads"])
    assert floor_breaches("""{% url 'login' %}{% url 'password_reset' %}""", FOLDER_FLOORS["leads"]) == []
