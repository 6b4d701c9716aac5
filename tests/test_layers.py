"""The contract that keeps each app's domain off its faces (pyproject.toml) names its forbidden
modules with wildcards that match whole names only (`**.views`): a module called `lead_views` or
`notification_apis` is held only if it is listed. This fails when one is not."""

import re
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = "Domain modules import no API, view, form or template tag"
FACE = re.compile(r"(^|_)(apis|views|forms)$")


def _contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = (c for c in config["contracts"] if c["name"] == CONTRACT)
    return {"packages": config["root_packages"], **contract}


def _matching(graph, expressions) -> set[str]:
    modules = set()
    for expression in expressions:
        found = graph.find_matching_modules(expression) if "*" in expression else {expression}
        modules |= found | {d for module in found for d in graph.find_descendants(module)}
    return modules


def test_every_api_view_and_form_module_is_forbidden_to_the_domain():
    contract = _contract()
    graph = grimp.build_graph(*contract["packages"])
    forbidden = _matching(graph, contract["forbidden_modules"])

    faces = {module for module in graph.modules if FACE.search(module.rpartition(".")[2])}

    assert faces, "no API, view or form module found: the pattern is wrong"
    assert sorted(faces - forbidden) == [], "add these to the contract's forbidden_modules"


def test_no_domain_module_is_also_a_forbidden_one():
    contract = _contract()
    graph = grimp.build_graph(*contract["packages"])

    overlap = _matching(graph, contract["source_modules"]) & _matching(graph, contract["forbidden_modules"])

    assert sorted(overlap) == []


# The modules that are neither the domain nor one of its faces: the project's wiring and the web
# plumbing every face shares. Any other module is domain and must be a source of the contract.
WIRING = re.compile(
    r"(^|\.)(migrations|management|templatetags)(\.|$)"
    r"|\.(apps|admin|urls|settings|celery|wsgi|asgi|checks|context_processors|middleware|pages|pagination"
    r"|parsers|rest|schema|idempotency|oidc|lockout|redis_cache|panels)$"
)


def test_every_domain_module_is_held_by_the_contract():
    contract = _contract()
    graph = grimp.build_graph(*contract["packages"])
    forbidden = _matching(graph, contract["forbidden_modules"])
    domain = _matching(graph, contract["source_modules"])

    unlisted = {
        module
        for module in graph.modules
        if module not in forbidden
        and module not in domain
        and module not in contract["packages"]
        and not WIRING.search(module)
        and not graph.find_children(module)  # a package is held through its modules
    }

    assert sorted(unlisted) == [], "add these domain modules to the contract's source_modules"
