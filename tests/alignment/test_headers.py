"""Security headers on every kind of response: a page, an API answer, a 404 page and a JSON 404."""

import re
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
CSP_DIRECTIVES = (
    "default-src 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "object-src 'none'",
    "base-uri 'self'",
)


def assert_security_headers(response):
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "camera=()" in response.headers["Permissions-Policy"]
    policy = response.headers["Content-Security-Policy"]
    for directive in CSP_DIRECTIVES:
        assert directive in policy, directive
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]


@pytest.mark.parametrize(
    "path, status",
    [("/accounts/login/", 200), ("/no-such-page/", 404), ("/api/no-such-endpoint/", 404)],
)
def test_anonymous_responses_carry_the_security_headers(db, path, status):
    response = Client().get(path)

    assert response.status_code == status
    assert_security_headers(response)


def test_a_signed_in_page_and_an_api_answer_carry_the_security_headers(marketer):
    client = Client()
    client.force_login(marketer)
    page = client.get("/leads/")
    api = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=marketer).key}").get("/api/leads/")
    unauthenticated = APIClient().get("/api/leads/")

    assert page.status_code == 200 and api.status_code == 200 and unauthenticated.status_code == 401
    for response in (page, api, unauthenticated):
        assert_security_headers(response)


def test_the_api_docs_inline_script_carries_the_nonce_of_its_policy(marketer):
    client = Client()
    client.force_login(marketer)

    response = client.get("/api/docs/")

    assert response.status_code == 200
    nonce = response.wsgi_request.csp_nonce
    assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
    html = response.content.decode()
    assert f'<script nonce="{nonce}">' in html and f'<style nonce="{nonce}">' in html
    assert "<script>" not in html and "<style>" not in html


def test_templates_hold_no_inline_script_or_event_handler():
    """The policy allows no inline script: behaviour lives in static files and htmx attributes. The
    only exception is the API docs page, whose init script carries the request's nonce."""
    templates = Path(__file__).resolve().parents[2] / "templates"
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    offenders = []
    for template in templates.rglob("*.html"):
        text = template.read_text()
        if inline_script.search(text) or handler.search(text) or "javascript:" in text:
            offenders.append(str(template.relative_to(templates)))

    assert offenders == []
