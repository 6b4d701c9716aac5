"""The OpenAPI schema describes what the API answers: the main flow's answers, recorded through the
test client, each validate against the schema the app serves at /api/schema/."""

import pytest
from openapi_schema_validator import OAS30ReadValidator
from rest_framework.test import APIClient

from feedback.models import ReasonCode


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def as_user(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_described(schema, method, path, response):
    """The body validates against the schema of this path, method and status; `$ref`s resolve
    against the schema's own components."""
    operation = schema["paths"][path][method]
    answer = operation["responses"].get(str(response.status_code))
    assert answer is not None, f"{method.upper()} {path} answered {response.status_code}, which is not documented"
    body_schema = answer["content"]["application/json"]["schema"]
    validator = OAS30ReadValidator(
        {**body_schema, "components": schema["components"]}, format_checker=OAS30ReadValidator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(response.json()), key=str)
    assert not errors, f"{method.upper()} {path}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
    )


def test_the_main_flow_answers_as_the_schema_says(schema, marketer, rep, manager, campaign):
    marketing, sales, managers = as_user(marketer), as_user(rep), as_user(manager)
    flow = []

    def record(client, method, path, url, body=None, status=200):
        response = getattr(client, method)(url, body, format="json") if method == "post" else client.get(url)
        assert response.status_code == status, response.json()
        flow.append((method, path, response))
        return response.json()

    # capture → handoff → accept → activity → verdict → won
    lead = record(
        marketing,
        "post",
        "/api/leads/",
        "/api/leads/",
        {"campaign": campaign.pk, "email": "ada@example.com", "country": "Germany", "source": "event"},
        status=201,
    )
    url = f"/api/leads/{lead['id']}"
    record(marketing, "post", "/api/leads/{id}/handoff/", f"{url}/handoff/", {"rep": rep.pk, "note": "Wants a demo."})
    record(sales, "post", "/api/leads/{id}/accept/", f"{url}/accept/")
    record(sales, "post", "/api/leads/{id}/activity/", f"{url}/activity/", {"kind": "call", "note": "Booked a demo."})
    record(
        sales, "post", "/api/leads/{id}/verdict/", f"{url}/verdict/", {"verdict": "good", "note": "Budget."}, status=201
    )
    record(sales, "post", "/api/leads/{id}/qualify/", f"{url}/qualify/")
    record(sales, "post", "/api/leads/{id}/won/", f"{url}/won/", {"amount": "12000.00"})
    # a second lead, rejected with a reason, so the queue holds an item with one
    other = record(
        marketing,
        "post",
        "/api/leads/",
        "/api/leads/",
        {"campaign": campaign.pk, "email": "bo@example.com"},
        status=201,
    )
    record(
        marketing,
        "post",
        "/api/leads/{id}/handoff/",
        f"/api/leads/{other['id']}/handoff/",
        {"rep": rep.pk, "note": "x"},
    )
    reason = ReasonCode.objects.filter(active=True).first().code
    record(
        sales, "post", "/api/leads/{id}/reject/", f"/api/leads/{other['id']}/reject/", {"reason": reason, "note": "No."}
    )

    # the reads: lead detail (with its timeline), the feedback queue, notifications, the dashboard
    detail = record(marketing, "get", "/api/leads/{id}/", f"{url}/")
    queue = record(marketing, "get", "/api/feedback/", "/api/feedback/")
    record(marketing, "get", "/api/feedback/{id}/", f"/api/feedback/{queue['results'][0]['id']}/")
    notes = record(marketing, "get", "/api/notifications/", "/api/notifications/")
    record(marketing, "post", "/api/notifications/{id}/read/", f"/api/notifications/{notes['results'][0]['id']}/read/")
    record(managers, "get", "/api/dashboard/", "/api/dashboard/")
    record(marketing, "get", "/api/leads/", "/api/leads/")

    # the answers hold what the schema must allow: a null owner, a null verdict reason, "" statuses
    assert detail["country"] == "DE" and detail["source"] == "event"
    assert any(event["from_status"] == "" for event in detail["timeline"])
    assert flow[0][2].json()["owner"] is None
    assert flow[4][2].json()["reason"] is None
    for method, path, response in flow:
        assert_described(schema, method, path, response)


def test_errors_are_described_too(schema, marketer, rep):
    missing = as_user(rep).post("/api/notifications/999999/read/")
    anonymous = APIClient().get("/api/notifications/")
    bad = as_user(marketer).post("/api/leads/", {"email": "x@example.com", "country": "Atlantis"}, format="json")

    assert_described(schema, "post", "/api/notifications/{id}/read/", missing)
    assert_described(schema, "get", "/api/notifications/", anonymous)
    assert_described(schema, "post", "/api/leads/", bad)
    assert (missing.status_code, anonymous.status_code, bad.status_code) == (404, 401, 400)


def test_request_bodies_are_json_except_the_public_form_and_the_import(schema):
    media = {
        (method, path): set(operation["requestBody"]["content"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }

    assert media.pop(("post", "/api/capture/{form_key}/")) == {"application/json", "application/x-www-form-urlencoded"}
    assert media.pop(("post", "/api/leads/import/")) == {"multipart/form-data"}
    assert {frozenset(types) for types in media.values()} == {frozenset({"application/json"})}


def test_every_request_body_refuses_unknown_fields(schema):
    components = schema["components"]["schemas"]
    bodies = {
        (method, path): content["schema"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for content in operation.get("requestBody", {}).get("content", {}).values()
    }
    assert len(bodies) > 20
    for where, body in bodies.items():
        body = components[body["$ref"].rpartition("/")[2]] if "$ref" in body else body
        assert body.get("additionalProperties") is False, where


def test_no_schema_marks_a_reference_nullable_without_a_type(schema):
    def walk(node, where):
        if isinstance(node, dict):
            if node.get("nullable") and "type" not in node and {"allOf", "oneOf", "anyOf", "$ref"} & set(node):
                pytest.fail(f"{where} is nullable without a type: {node}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(schema, "#")
