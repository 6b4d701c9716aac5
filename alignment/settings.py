"""The only settings module. Everything that differs between machines comes from the environment.

See `.env.example` for every variable and its default.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Django's technical 404 and 500 pages with DEBUG on; off, the demo shows the product's own pages
# (alignment.middleware.ProductErrorPages). For developers who want the tracebacks in the browser.
ALIGNMENT_DEBUG_PAGES = env.bool("ALIGNMENT_DEBUG_PAGES", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before alignment: its admin narrows the lockout admin axes registers.
    "axes",
    "alignment",
    "leads",
    "feedback",
    "scoring",
    "planning",
    "dashboard",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "alignment.middleware.permissions_policy",
    # Outside everything that may answer early (CommonMiddleware, CSRF), so every response has it.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Inside authentication, so its 404 page knows who is signed in.
    "alignment.middleware.ProductErrorPages",
    "alignment.middleware.session_idle_timeout",
    # Last, as axes asks: it turns a lockout into its answer (alignment.lockout.lockout_response).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "alignment.urls"
WSGI_APPLICATION = "alignment.wsgi.application"
AUTH_USER_MODEL = "alignment.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"
# A refused CSRF check under /api/ answers JSON like every other API error.
CSRF_FAILURE_VIEW = "alignment.rest.csrf_failure"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alignment.context_processors.navigation",
            ],
        },
    },
]

# Forms render through TEMPLATES, so templates/django/forms/ can stand in for Django's own.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# SQLite by default so a fresh machine needs nothing but Python; DATABASE_URL selects PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for a lock rather than fail at once. A deferred
    # transaction that reads and then writes cannot wait (SQLite fails it at once to avoid a
    # deadlock), so transactions take the write lock when they begin; WAL lets readers go on.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;"
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The capture path's statements (leads/capture.py) are prepared once per connection and then
    # only executed. Turn this off behind a connection pooler in transaction mode that cannot keep
    # prepared statements (PgBouncer before 1.21).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) are for PostgreSQL; on SQLite the index still serves, without them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# The lockout check first: a locked-out account or address is refused before its password is tried.
# The single sign-on backend (alignment/oidc.py) answers only its callback, and only when configured.
AUTHENTICATION_BACKENDS = [
    "alignment.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "alignment.oidc.SignOnBackend",
]
# Off: no password form on the login page, and passwords are refused there, at the admin's login and
# by the token endpoint; people sign in through single sign-on only.
ALIGNMENT_PASSWORD_LOGIN = env.bool("ALIGNMENT_PASSWORD_LOGIN", default=True)

# Single sign-on with OpenID Connect (alignment/oidc.py; mozilla-django-oidc reads the OIDC_RP_*,
# OIDC_USE_PKCE and OIDC_TIMEOUT names). On when the issuer, client id and secret are all set; the
# provider redirects back to <base>/oidc/callback/.
OIDC_ISSUER = env("OIDC_ISSUER", default="")
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="single sign-on")
# Unknown (verified) emails get an account only when this is on, with the role the provider puts in
# the OIDC_ROLE_CLAIM claim, else OIDC_DEFAULT_ROLE; with neither they are refused.
OIDC_CREATE_USERS = env.bool("OIDC_CREATE_USERS", default=False)
OIDC_ROLE_CLAIM = env("OIDC_ROLE_CLAIM", default="")
OIDC_DEFAULT_ROLE = env("OIDC_DEFAULT_ROLE", default="")
OIDC_RP_SCOPES = "openid email profile"
# The ID token's signature: RS256 is the algorithm every OpenID provider must offer.
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_PKCE = True
# Seconds to wait for the provider (discovery, token, keys, userinfo) before showing an error page.
OIDC_TIMEOUT = 10

# Checked wherever a person chooses a password (set-password link, password change, add_member);
# seed_demo sets its demo password directly.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login lockout (django-axes, alignment/lockout.py): this many failures lock the account for the
# cool-off; the client address, across all its usernames, only at the far higher address limit (a
# password spray), so colleagues behind one office address are not locked out by one person's
# typos. The browser login, the admin and the token endpoint count alike. A success clears the
# account's failures.
AXES_FAILURE_LIMIT = env.int("ALIGNMENT_LOGIN_FAILURE_LIMIT", default=10)
ALIGNMENT_LOGIN_ADDRESS_FAILURE_LIMIT = env.int("ALIGNMENT_LOGIN_ADDRESS_FAILURE_LIMIT", default=100)
AXES_HANDLER = "alignment.lockout.LockoutHandler"
AXES_COOLOFF_TIME = timedelta(minutes=env.float("ALIGNMENT_LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "alignment.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "alignment.lockout.client_address"

# Sessions end after SESSION_COOKIE_AGE whatever happens, and sooner after this long without a
# request (alignment/middleware.py). A password change ends every other session of that user.
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=12 * 60 * 60)
ALIGNMENT_SESSION_IDLE_MINUTES = env.float("ALIGNMENT_SESSION_IDLE_MINUTES", default=120)

LANGUAGE_CODE = "en"
# One date format everywhere (alignment/formats/en/formats.py): "7 Dec 2026", "7 Dec 2026, 14:05".
FORMAT_MODULE_PATH = ["alignment.formats"]
TIME_ZONE = env("ALIGNMENT_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` puts the files (and their manifest) that a process with DEBUG off serves.
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Request bodies over 1 MB are refused with 413 (API) — imports stream their file instead.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
ALIGNMENT_IMPORT_MAX_BYTES = env.int("ALIGNMENT_IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
# Outbound webhooks: the first retry's delay (later ones grow from it), and whether URLs on
# private, loopback or link-local networks may be called (tests and local receivers only).
ALIGNMENT_WEBHOOK_RETRY_BASE_SECONDS = env.float("ALIGNMENT_WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
ALIGNMENT_WEBHOOK_ALLOW_PRIVATE = env.bool("ALIGNMENT_WEBHOOK_ALLOW_PRIVATE", default=False)
# Sent and failed events (and chat posts) are deleted this many days after they were written.
ALIGNMENT_WEBHOOK_KEEP_DAYS = env.float("ALIGNMENT_WEBHOOK_KEEP_DAYS", default=30.0)
# How often beat runs the relay for deliveries that no task carried (a broker that was down).
ALIGNMENT_WEBHOOK_RELAY_EVERY_SECONDS = env.float("ALIGNMENT_WEBHOOK_RELAY_EVERY_SECONDS", default=60.0)

# Email: console in development, SMTP (or anything django-environ understands) via EMAIL_URL.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Alignment <alignment@localhost>")
ALIGNMENT_BASE_URL = env("ALIGNMENT_BASE_URL", default="http://127.0.0.1:8000")
# The currency of every amount (an ISO 4217 code): shown with its symbol, and named in the API.
ALIGNMENT_CURRENCY = env("ALIGNMENT_CURRENCY", default="EUR").strip().upper()
if not re.fullmatch(r"[A-Z]{3}", ALIGNMENT_CURRENCY):
    raise ImproperlyConfigured("ALIGNMENT_CURRENCY must be a three-letter ISO 4217 code such as EUR or USD.")

# The thresholds. They are defaults: managers can change them in the app.
ALIGNMENT_SLA_ACCEPT_HOURS = env.float("ALIGNMENT_SLA_ACCEPT_HOURS", default=24.0)
ALIGNMENT_COLD_AFTER_DAYS = env.float("ALIGNMENT_COLD_AFTER_DAYS", default=7.0)
ALIGNMENT_ESCALATE_AFTER_HOURS = env.float("ALIGNMENT_ESCALATE_AFTER_HOURS", default=24.0)
ALIGNMENT_FEEDBACK_RESPONSE_DAYS = env.float("ALIGNMENT_FEEDBACK_RESPONSE_DAYS", default=3.0)
# e.g. "Mon-Fri 09:00-17:00 Europe/Berlin"; empty means the clock runs around the clock.
ALIGNMENT_BUSINESS_HOURS = env("ALIGNMENT_BUSINESS_HOURS", default="")
ALIGNMENT_SWEEP_EVERY_MINUTES = env.float("ALIGNMENT_SWEEP_EVERY_MINUTES", default=5.0)
# A lead handed off by rules is offered to one rep for this many minutes (decimals allowed, e.g. 0.1)
# before it moves on to the next rep of the rule; 0 is off. The SLA settings page can override it.
ALIGNMENT_OFFER_MINUTES = env.float("ALIGNMENT_OFFER_MINUTES", default=0.0)
# The live stream (`GET /api/events/`): a comment line this often keeps proxies from closing it,
# and without Redis each open stream reads its new events from the database this often.
ALIGNMENT_LIVE_HEARTBEAT_SECONDS = env.float("ALIGNMENT_LIVE_HEARTBEAT_SECONDS", default=15.0)
ALIGNMENT_LIVE_POLL_SECONDS = env.float("ALIGNMENT_LIVE_POLL_SECONDS", default=0.5)
# ...and while a page cannot reach the stream it fetches its inbox and bell this often instead.
ALIGNMENT_LIVE_FALLBACK_POLL_SECONDS = env.float("ALIGNMENT_LIVE_FALLBACK_POLL_SECONDS", default=15.0)

# Public web-form capture: which browser origins may post to it ("*" for any).
ALIGNMENT_CAPTURE_ALLOWED_ORIGINS = env.list("ALIGNMENT_CAPTURE_ALLOWED_ORIGINS", default=["*"])

REST_FRAMEWORK = {
    # Token first, so a request with no credentials is answered 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "alignment.caching.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "alignment.parsers.JSONParser",
        "alignment.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "alignment.rest.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "alignment.schema.AutoSchema",
    "EXCEPTION_HANDLER": "alignment.rest.exception_handler",
    # Every signed-in caller has a budget of requests ("user"); bulk capture and CSV imports have
    # their own, smaller one per user (the views name their scope). A 429 carries Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("ALIGNMENT_API_RATE", default="1200/minute"),
        "bulk": env("ALIGNMENT_BULK_RATE", default="30/minute"),
        "import": env("ALIGNMENT_IMPORT_RATE", default="20/hour"),
        "capture": env("ALIGNMENT_CAPTURE_RATE", default="30/minute"),
        "token": env("ALIGNMENT_TOKEN_RATE", default="20/minute"),
    },
    # Throttles without a user (the public form, the token endpoint) count per client address,
    # and so does the login lockout (alignment/lockout.py). X-Forwarded-For is trusted only through
    # this many proxies in front of the app: the address is the one the last of them saw, so a
    # client cannot pick its own (0: never trusted).
    "NUM_PROXIES": env.int("ALIGNMENT_NUM_PROXIES", default=0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Alignment API",
    "DESCRIPTION": "Marketing and sales hand leads to each other and close the loop on every lead.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # No deep links: Swagger UI puts each one inside the operation's toggle button, a link nested in
    # a button that keyboards and screen readers cannot reach on its own.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "alignment.schema.nullable_refs_typed",
    ],
    "ENUM_NAME_OVERRIDES": {
        "LeadStatusEnum": "leads.models.LeadStatus",
        "BulkItemStatusEnum": ["created", "duplicate", "error"],
        "ActivityKindEnum": [("call", "Call"), ("email", "Email"), ("meeting", "Meeting"), ("note", "Note")],
        "EventKindEnum": "leads.models.EventKind",
        "FeedbackKindEnum": "feedback.models.FeedbackKind",
        "FeedbackStatusEnum": "feedback.models.FeedbackStatus",
        "WebhookKindEnum": "alignment.models.WebhookKind",
        "MeetingItemKindEnum": "planning.models.MeetingItemKind",
    },
}

# Cache: throttling counts must be shared between processes, so Redis when we have it; the
# embedded default runs one web process and keeps them in memory.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "alignment.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Each process's own memory, for a few seconds, of rows every capture reads and that rarely change
# (campaigns, verticals, webhook endpoints): no round trip at all (alignment/caching.py).
CACHES["local"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "alignment-local"}

# Celery. The embedded default is a broker on the filesystem: no server to install.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://localhost//")
# How long a task taken by a worker that died stays invisible before another worker gets it (Redis,
# tasks with acks_late). Every task's time limit and retry delay stays below it (a test checks):
# otherwise Redis would hand a task still running, or still waiting to retry, to a second worker.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(BASE_DIR / "var" / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # A waiting worker looks for new messages this often (seconds); kombu's default is 1, and
        # with a full prefetch it waits that long between tasks.
        "polling_interval": 0.1,
    }
    (CELERY_BROKER_DIR / "processed").mkdir(parents=True, exist_ok=True)
else:
    # An hour by default; tests lower it to see a redelivery.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# Publishing must never hang a user's request when the broker is down: fail fast, log, go on.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# What a task prints (the console email backend's messages in development) is logged as INFO, not
# as the WARNING Celery files it under by default.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sweep-cold-leads": {
        "task": "leads.tasks.sweep_cold_leads",
        "schedule": ALIGNMENT_SWEEP_EVERY_MINUTES * 60,
        # Sweeps queued while no worker ran are dropped, not run back to back: the next one does it all.
        "options": {"expires": ALIGNMENT_SWEEP_EVERY_MINUTES * 60},
    },
    # Offers whose time ran out move on to the next rep; with offers off it finds nothing in one
    # indexed query. Its own schedule: offers last minutes, the cold sweep runs every few.
    "sweep-offers": {
        "task": "leads.tasks.offers_sweep",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "prune-live-events": {
        "task": "alignment.tasks.live_events_prune",
        "schedule": crontab(minute=15, hour="*"),
    },
    # Imports whose task the broker never got (down at upload, or restarted without its data).
    "resume-imports": {
        "task": "leads.tasks.import_jobs_resume",
        "schedule": ALIGNMENT_SWEEP_EVERY_MINUTES * 60,
        "options": {"expires": ALIGNMENT_SWEEP_EVERY_MINUTES * 60},
    },
    "remind-overdue-feedback": {
        "task": "feedback.tasks.feedback_overdue_remind",
        "schedule": ALIGNMENT_SWEEP_EVERY_MINUTES * 60,
        "options": {"expires": ALIGNMENT_SWEEP_EVERY_MINUTES * 60},
    },
    # The relay runs on commit; this sweep catches what a broker that was down did not carry.
    "relay-webhooks": {
        "task": "alignment.tasks.webhook_relay",
        "schedule": ALIGNMENT_WEBHOOK_RELAY_EVERY_SECONDS,
        "options": {"expires": ALIGNMENT_WEBHOOK_RELAY_EVERY_SECONDS},
    },
    "prune-webhook-events": {
        "task": "alignment.tasks.webhook_events_prune",
        "schedule": crontab(minute=45, hour=3),
    },
    "prune-idempotency-records": {
        "task": "alignment.tasks.idempotency_records_prune",
        "schedule": crontab(minute=30, hour=3),
    },
    # Campaign requests' evidence (until delivered) and outcome (once delivered), kept current.
    "remind-overdue-action-items": {
        "task": "planning.tasks.action_items_overdue_remind",
        "schedule": ALIGNMENT_SWEEP_EVERY_MINUTES * 60,
        "options": {"expires": ALIGNMENT_SWEEP_EVERY_MINUTES * 60},
    },
    "refresh-campaign-requests": {
        "task": "planning.tasks.campaign_requests_refresh",
        "schedule": crontab(minute=15),
        "options": {"expires": 3600},
    },
    # The lead score learns last night's verdicts; a challenger serves only if it is not worse.
    "train-scores": {
        "task": "scoring.tasks.scoring_train",
        "schedule": crontab(minute=15, hour=2),
    },
}
# The weekly alignment digest, in ALIGNMENT_TIME_ZONE: a crontab "minute hour day-of-week",
# by default Monday 08:00, before the joint meeting.
ALIGNMENT_DIGEST_CRONTAB = env("ALIGNMENT_DIGEST_CRONTAB", default="0 8 mon").split()
CELERY_BEAT_SCHEDULE["weekly-alignment-digest"] = {
    "task": "dashboard.tasks.digest_send_weekly",
    "schedule": crontab(
        minute=ALIGNMENT_DIGEST_CRONTAB[0], hour=ALIGNMENT_DIGEST_CRONTAB[1], day_of_week=ALIGNMENT_DIGEST_CRONTAB[2]
    ),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own defaults also print to the console: one handler, or every line shows twice.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # A 403 or 404 is the answer working as designed, not something to page anyone about.
        "django.request": {"level": "ERROR"},
    },
}

# --- Response headers --------------------------------------------------------------------------
# A strict Content-Security-Policy (django-csp): only our own scripts, styles, fonts and fetches.
# Templates carry no inline script or handler; the one inline script we serve, the API docs' init
# script, carries the request's nonce (templates/drf_spectacular/swagger_ui.html). Images may be
# data: URIs (Swagger UI's icons are).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features nobody here needs, off for every page and every frame (alignment/middleware.py).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Transport security (`manage.py check --deploy` passes with the production defaults) ---
# Secure cookies, HTTPS redirect and HSTS are on whenever DEBUG is off; DJANGO_SECURE_COOKIES=0
# turns all three off for a site served over plain HTTP.
SECURE_COOKIES = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    # The __Host- prefix makes the browser refuse these cookies unless they are Secure, for "/" and
    # without a Domain: a sibling subdomain cannot plant a session or a CSRF token on us.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=SECURE_COOKIES)
# The health check asks over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Trust X-Forwarded-Proto only behind a TLS-terminating proxy that sets it (and strips a client's):
# anywhere else a client could claim HTTPS with the header and skip the redirect.
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security — a year by
# default in production; start lower (e.g. 3600) on a new domain, browsers remember the value.
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000 if SECURE_COOKIES else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
