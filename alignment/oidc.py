"""Single sign-on with OpenID Connect (mozilla-django-oidc), set up from the provider's discovery.

The library takes its endpoints as settings; here they come from `<OIDC_ISSUER>/.well-known/
openid-configuration`, fetched when a sign-in first needs them (never at start-up or in `check`)
and kept in the shared cache for an hour. The library checks the state (one use, this browser's
session only), the nonce, PKCE and the ID token's signature; this module decides who gets in:

- the provider must say the email is verified (`email_verified`); the account is the one with that
  email, in any case;
- an unknown email gets an account only with `OIDC_CREATE_USERS`, with the role in the
  `OIDC_ROLE_CLAIM` claim or `OIDC_DEFAULT_ROLE`;
- a deactivated or locked-out account (alignment/lockout.py) is refused like at the password login.

Every refusal is a page that says why, never a 500.
"""

import logging

import requests
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import render
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from alignment.models import Role
from alignment.services import member_add

logger = logging.getLogger(__name__)

DISCOVERY_CACHE_SECONDS = 60 * 60


class ProviderUnavailable(Exception):
    pass


def oidc_enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID and settings.OIDC_RP_CLIENT_SECRET)


def provider_configuration() -> dict:
    """The provider's discovery document, from the cache or fetched; `ProviderUnavailable` when the
    provider does not answer with one for the configured issuer."""
    issuer = settings.OIDC_ISSUER.rstrip("/")
    key = f"oidc-discovery:{issuer}"
    configuration = cache.get(key)
    if configuration is not None:
        return configuration
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        configuration = response.json()
    except (requests.RequestException, ValueError) as error:
        logger.warning("Single sign-on: no discovery document at %s: %s", url, error)
        raise ProviderUnavailable from error
    endpoints = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
    # OpenID Connect Discovery 1.0, 4.3: the issuer in the document must be the one asked.
    if str(configuration.get("issuer", "")).rstrip("/") != issuer or not all(configuration.get(e) for e in endpoints):
        logger.warning("Single sign-on: the discovery document at %s is not for issuer %s", url, issuer)
        raise ProviderUnavailable
    cache.set(key, configuration, DISCOVERY_CACHE_SECONDS)
    return configuration


def _discovered(name):
    return property(lambda self: provider_configuration()[name])


class SignOnRefused(SuspiciousOperation):
    """A sign-in the provider vouched for that Alignment refuses; the message is shown to the person."""


def sign_on_failed(request, message, *, status):
    return render(
        request,
        "registration/sign_on_failed.html",
        {"message": message, "password_login": settings.ALIGNMENT_PASSWORD_LOGIN},
        status=status,
    )


class SignOnBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of a single sign-on; any other `authenticate()` passes it by."""

    # The library reads these at construction, and Django makes a backend on every signed-in
    # request: here they are read from discovery only when a sign-in uses them.
    OIDC_OP_TOKEN_ENDPOINT = _discovered("token_endpoint")
    OIDC_OP_USER_ENDPOINT = _discovered("userinfo_endpoint")
    OIDC_OP_JWKS_ENDPOINT = _discovered("jwks_uri")

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    # Django's, not the library's: a session signed in this way ends when the account is deactivated.
    get_user = ModelBackend.get_user

    def authenticate(self, request, **kwargs):
        # The callback view passes the nonce; a password login never does.
        if request is None or "nonce" not in kwargs or not oidc_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        # The library checks the signature and the nonce; an ID token (the call with the nonce) must
        # also be issued by this provider to this client (OpenID Connect Core 1.0, 3.1.3.7).
        if "nonce" in kwargs:
            audience = payload.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if payload.get("iss") != provider_configuration()["issuer"] or self.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation("The ID token is not the provider's for this client.")
        return payload

    def refuse(self, message):
        self.request.sign_on_refusal = message
        raise SignOnRefused(message)

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        email = str(claims.get("email") or "").strip()
        if not email:
            self.refuse(f"{settings.OIDC_PROVIDER_NAME} did not give an email address, so no account can be found.")
        # A boolean by the standard; some providers send the string.
        if claims.get("email_verified") not in (True, "true"):
            self.refuse(
                f"{settings.OIDC_PROVIDER_NAME} has not verified the email address {email}: verify it there first."
            )
        users = list(self.UserModel.objects.filter(email__iexact=email)[:2])
        if len(users) > 1:
            self.refuse(f"More than one Alignment account has the email {email}; ask a manager to sort it out.")
        if users:
            user = users[0]
        elif settings.OIDC_CREATE_USERS:
            user = self.create_user(claims)
        else:
            self.refuse(f"No Alignment account for {email}; ask a manager to add you.")
        if not user.is_active:
            self.refuse(f"The Alignment account for {email} is deactivated; ask a manager.")
        # The lockout of the password login holds here too: the middleware answers with its page.
        credentials = {"username": user.username}
        if not AxesProxyHandler.is_allowed(self.request, credentials):
            self.request.axes_locked_out = True
            self.request.axes_credentials = credentials
            raise SignOnRefused(f"Account {user.username} is locked out")
        return user

    def create_user(self, claims):
        email = claims["email"].strip()
        claimed = claims.get(settings.OIDC_ROLE_CLAIM) if settings.OIDC_ROLE_CLAIM else None
        if isinstance(claimed, list):
            # A list claim (groups, roles): the first of its values that is a role here.
            claimed = next((value for value in claimed if value in Role.values), None)
        role = claimed or settings.OIDC_DEFAULT_ROLE
        if role not in Role.values:
            given = f"the role {role!r}, not one of Alignment's ({', '.join(Role.values)})" if role else "no role"
            self.refuse(f"{settings.OIDC_PROVIDER_NAME} gives {email} {given}; ask a manager to add you.")
        # The email is the username; member_add would update an account of that name, not add one.
        if len(email) > self.UserModel._meta.get_field("username").max_length:
            self.refuse(f"The email address {email} is too long for an Alignment account; ask a manager to add you.")
        if self.UserModel.objects.filter(username__iexact=email).exists():
            self.refuse(f"An Alignment account named {email} has another email address; ask a manager.")
        user = member_add(username=email.lower(), role=role, email=email)
        user.first_name = str(claims.get("given_name") or "")[:150]
        user.last_name = str(claims.get("family_name") or "")[:150]
        user.save(update_fields=["first_name", "last_name"])
        logger.info("Single sign-on: added %s as %s", email, role)
        return user


class SignOnStartView(OIDCAuthenticationRequestView):
    """`GET /oidc/authenticate/?next=…`: sends the browser to the provider (a link, not a form: the
    pages' `form-action 'self'` would stop a form's redirect to another origin)."""

    def __init__(self, **kwargs):
        # Not the library's: it reads the authorization endpoint here, before any error can be shown.
        View.__init__(self, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        if not oidc_enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_configuration()["authorization_endpoint"]
        except ProviderUnavailable:
            return unreachable(request)
        return super().get(request)


class SignOnCallbackView(OIDCAuthenticationCallbackView):
    """`GET /oidc/callback/?code=…&state=…`: where the provider sends the browser back."""

    def get(self, request):
        if not oidc_enabled():
            raise Http404
        try:
            return super().get(request)
        except ProviderUnavailable:
            return unreachable(request)
        except SuspiciousOperation:
            # A state this browser was never given or has used already, or a bad nonce or signature.
            return sign_on_failed(
                request, "This sign-in is not valid (it may have been used already): start again.", status=400
            )
        except requests.HTTPError as error:
            logger.warning("Single sign-on: the provider refused the sign-in: %s", error)
            return self.login_failure()
        except requests.RequestException as error:
            logger.warning("Single sign-on: the provider did not answer: %s", error)
            return unreachable(request)

    def login_failure(self):
        message = getattr(self.request, "sign_on_refusal", None) or (
            f"Signing in with {settings.OIDC_PROVIDER_NAME} did not work: start again."
        )
        return sign_on_failed(self.request, message, status=403)


def unreachable(request):
    return sign_on_failed(
        request,
        f"{settings.OIDC_PROVIDER_NAME} cannot be reached right now. Try again in a few minutes.",
        status=503,
    )
