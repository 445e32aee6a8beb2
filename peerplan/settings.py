"""PeerPlan settings, read strictly from the environment.

Local defaults are safe for a developer's machine; production is DEBUG=false with SECRET_KEY,
ALLOWED_HOSTS and (optionally) DATABASE_URL set. See README, "Running in production".
"""

import os
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

INSECURE_DEV_KEY = "django-insecure-peerplan-local-development-only"


def env_bool(name: str, default: bool) -> bool:
    """A boolean is exactly 'true' or 'false' (any case), or unset or empty for the default. Anything else
    ('1', 'yes', 'ture') is a mistake worth stopping for: one spelling, so no one wonders what 'no' means."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() == "true":
        return True
    if value.lower() == "false":
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# The test suite's settings (tests/settings.py) build on these and change only what tests need.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY or SECRET_KEY == INSECURE_DEV_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off PeerPlan refuses to start with a missing or default "
            "secret key: set SECRET_KEY to a long random string (python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'), or set DEBUG=true for local development."
        )
    SECRET_KEY = INSECURE_DEV_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Django's admin, with its index in the curators' order (evidence/admin_site.py).
    "evidence.admin_site.CurationAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    # Accounts: sign-in by email, verification, reset, two-factor and single sign-on (OpenID Connect).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "axes",
    "csp",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "evidence",
    "peerplan",
    "peerplan.api",
]

MIDDLEWARE = [
    # First and last but one: django-prometheus's request metrics (README "Running it"). First, so the
    # latency "including middlewares" spans them all.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Before anything that answers early (the HTTPS redirect), so every answer carries its X-Request-ID.
    "peerplan.middleware.RequestId",
    # Above everything that writes a body, so it compresses the finished page (only public ones: see it).
    "peerplan.middleware.PublicPagesGZip",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above PublicPagesForEveryone, so the pages it answers carry their headers too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # The evidence pages, whole from the cache, for a reader who is not signed in: nothing below is needed.
    "peerplan.middleware.PublicPagesForEveryone",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the person read from the shared cache (peerplan/accounts/person.py).
    "peerplan.accounts.person.PersonMiddleware",
    "peerplan.middleware.PrivatePages",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "peerplan.accounts.sso.SingleSignOnFormActionMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Sends a signed-in person who must use two-factor (REQUIRE_2FA, or an organisation's rule) to set it up.
    "peerplan.accounts.two_factor.TwoFactorRequiredMiddleware",
    # Axes last, as its documentation requires: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Counts by view, method and status; before Refusals, so a refusal it answers is not counted as an exception.
    "peerplan.middleware.RequestMetrics",
    # Last, so it sees a view's exception first: a refused operation becomes a page, never a 500.
    "peerplan.middleware.Refusals",
]

ROOT_URLCONF = "peerplan.urls"

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
                "peerplan.notify.context.context",
            ],
        },
    },
]

WSGI_APPLICATION = "peerplan.wsgi.application"

# SQLite is the embedded default. Several gunicorn workers share the file: WAL lets readers run
# beside a writer, the busy timeout makes a second writer wait rather than fail, and IMMEDIATE
# transactions take the write lock up front so no transaction fails half-way with "database is locked".
SQLITE_PATH = os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_PREPARED_STATEMENTS", True):
    # Values bound on the server, and a query run twice on a connection kept prepared there (psycopg's
    # prepare_threshold), so PostgreSQL plans it once per connection rather than on every run: planning the item
    # loader's join of nine tables took 1.6-2.6 ms for 0.1-0.3 ms of running it, on every item page. A
    # connection pooler in transaction mode must pass prepared statements through (PgBouncer 1.21 or newer
    # with max_prepared_statements set); behind one that cannot, set DB_PREPARED_STATEMENTS=false.
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "server_side_binding": True,
        "prepare_threshold": 2,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared across workers and hosts: the database holds the sessions and, unless CACHE_URL names a Redis
# server, the cache, so nothing that one worker clears can still be served by another. A session is read
# from the shared cache (every signed-in request reads it: one cache read, not a query) and written to both;
# the database keeps every session, so a Redis restart (it may keep nothing) signs nobody out, and a session
# missing from the cache is read from the database. Ending a session (signing out, a new key after a
# password change, deleting an account: peerplan/operations/accounts.py) goes through the session store,
# which removes it from both. (A removal dropped while Redis is unreachable is undone by the FLUSHDB that
# follows: peerplan/lib/cache_backends.py.)
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CACHES = {
    "default": {
        # Django's database cache, replacing many keys (a write's generations) in one statement.
        "BACKEND": "peerplan.lib.cache_backends.DatabaseCache",
        "LOCATION": "peerplan_cache",
        "TIMEOUT": None,
        # Room for the cached page bodies of many organisations, roles and pages
        # (peerplan/pages/page_cache.py; a body lives a day at most). Django's default of 300 would cull bodies still in use all day long.
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}


def redis_cache(url: str) -> dict:
    """CACHES["default"] for CACHE_URL: Django's Redis backend, in PeerPlan's subclass that answers a miss
    (and logs a warning) instead of failing when Redis cannot be reached (peerplan/lib/cache_backends.py).
    Checked here, so a mistyped URL stops start-up rather than the first page that uses the cache. The
    message never repeats the URL: it may hold a password."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured(
            f"CACHE_URL must be a redis://, rediss:// or unix:// URL (e.g. redis://127.0.0.1:6379/0), "
            f"not one starting {parts.scheme + '://' if parts.scheme else 'without a scheme'}"
        )
    try:
        parts.port  # noqa: B018 - reading it checks it: a port that is not a number raises ValueError
    except ValueError:
        raise ImproperlyConfigured("CACHE_URL has a port that is not a number") from None
    if parts.scheme == "unix":
        if not parts.path:
            raise ImproperlyConfigured("CACHE_URL unix:// needs the socket's path, e.g. unix:///run/redis.sock?db=0")
    elif not parts.hostname:
        raise ImproperlyConfigured("CACHE_URL needs a host, e.g. redis://127.0.0.1:6379/0")
    elif parts.path.strip("/") and not parts.path.strip("/").isdigit():
        raise ImproperlyConfigured("CACHE_URL's path must be a database number, e.g. redis://127.0.0.1:6379/0")
    return {
        "BACKEND": "peerplan.lib.cache_backends.RedisCache",
        "LOCATION": url,
        # As the database cache: entries live until replaced; give Redis a maxmemory and an LRU policy.
        "TIMEOUT": None,
        # redis-py's connection options. Short timeouts: Redis answers in well under a millisecond, and a
        # Redis that stopped answering must not hold a page for long (the backend then skips it a moment).
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
    }


CACHE_URL = os.environ.get("CACHE_URL", "").strip()
if CACHE_URL:
    CACHES = {"default": redis_cache(CACHE_URL)}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Sign-in by email on the site's own pages (the admin keeps Django's sign-in by username).
    "allauth.account.auth_backends.AuthenticationBackend",
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "peerplan:home"
LOGOUT_REDIRECT_URL = "home"

# Accounts (django-allauth). README, "Accounts, sign-up and single sign-on", says what each choice means.
ACCOUNT_ADAPTER = "peerplan.accounts.signup.AccountAdapter"
ACCOUNT_FORMS = {"login": "peerplan.forms.accounts.SignInForm", "signup": "peerplan.forms.accounts.SignUpForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
# The password once: a second box only catches a typo by emptying both boxes, and a mistyped password is
# mended by resetting it through the (confirmed) email; a password is never written back into a page.
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Confirming signs in only in the browser that signed up, and only within this many seconds of signing up
# (allauth's default, 15 minutes, sent people who read their email later back to the sign-in form). It also
# bounds the two-factor step of a sign-in, which an hour leaves in the same browser only.
ACCOUNT_LOGIN_TIMEOUT = 60 * 60
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# The same answer whether or not an account uses the email: on sign-up (the address gets an email saying
# it already has an account), on sign-in and on password reset.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_ON_GET = False
# As before allauth: a sign-in lasts SESSION_COOKIE_AGE (two weeks) or until signing out; no checkbox.
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# One lock-out mechanism: django-axes (below) counts failed sign-ins and pauses them. allauth's own
# failed-login limit is switched off so the two never disagree; its other rate limits stay (email
# confirmation, password change...), with sign-up and password reset set here. Invitations are counted
# by the same limiter (peerplan/accounts/ratelimit.py). All in the default cache above, shared by every
# worker and host; the client address is the one the lock-out counts (AccountAdapter.get_client_ip). Per
# hour: sign-ups per client address; password resets per email address (and four times that per client
# address); invitations per account (and twice that per client address). A hospital's people share one
# address, hence the room per address.
RATE_LIMIT_SIGNUPS = env_int("RATE_LIMIT_SIGNUPS_PER_HOUR", 30)
RATE_LIMIT_PASSWORD_RESETS = env_int("RATE_LIMIT_PASSWORD_RESETS_PER_HOUR", 5)
RATE_LIMIT_INVITATIONS = env_int("RATE_LIMIT_INVITATIONS_PER_HOUR", 30)
ACCOUNT_RATE_LIMITS = {
    "login_failed": None,
    "signup": f"{RATE_LIMIT_SIGNUPS}/h/ip",
    "reset_password": f"{4 * RATE_LIMIT_PASSWORD_RESETS}/h/ip,{RATE_LIMIT_PASSWORD_RESETS}/h/key",
}
PEERPLAN_RATE_LIMITS = {"invite": f"{RATE_LIMIT_INVITATIONS}/h/user,{2 * RATE_LIMIT_INVITATIONS}/h/ip"}
# Site-wide sign-up rule: "open" (anyone), "invitation" (only through an invitation link) or "domains"
# (emails at SIGNUP_ALLOWED_DOMAINS only, plus invitations).
SIGNUP_MODE = os.environ.get("SIGNUP_MODE", "open").strip().lower()
if SIGNUP_MODE not in ("open", "invitation", "domains"):
    raise ImproperlyConfigured(f"SIGNUP_MODE must be open, invitation or domains, not {SIGNUP_MODE!r}")
SIGNUP_ALLOWED_DOMAINS = [domain.lower().lstrip("@") for domain in env_list("SIGNUP_ALLOWED_DOMAINS", [])]
if SIGNUP_MODE == "domains" and not SIGNUP_ALLOWED_DOMAINS:
    raise ImproperlyConfigured("SIGNUP_MODE=domains needs SIGNUP_ALLOWED_DOMAINS, e.g. nhs.net,example.org")

# Two-factor: TOTP (authenticator apps) with recovery codes. REQUIRE_2FA makes everyone set it up.
MFA_ADAPTER = "peerplan.accounts.two_factor.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "PeerPlan")
# A code of the 30 seconds before or after is accepted too (RFC 6238's one step of delay): a person typing the
# code on a phone as it turns over, or a slow request, is not refused. A code is still accepted only once.
MFA_TOTP_TOLERANCE = 1
REQUIRE_2FA = env_bool("REQUIRE_2FA", False)

# Single sign-on with OpenID Connect. Providers are added in the admin (Social applications, provider
# "OpenID Connect") or, for one provider, with the OIDC_* variables below; no code change either way.
SOCIALACCOUNT_ADAPTER = "peerplan.accounts.sso.SocialAccountAdapter"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = True
# An account is matched by email only when the provider says the email is verified.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        # allauth's provider, plus a nonce bound to the sign-in attempt and checked in the ID token.
        "provider_class": "peerplan.accounts.sso.OpenIDConnectProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [],
    }
}
if os.environ.get("OIDC_SERVER_URL"):
    for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        if not os.environ.get(name):
            raise ImproperlyConfigured(f"OIDC_SERVER_URL is set, so {name} must be set too")
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": os.environ.get("OIDC_PROVIDER_ID", "sso"),
            "name": os.environ.get("OIDC_NAME", "your organisation"),
            "client_id": os.environ["OIDC_CLIENT_ID"],
            "secret": os.environ["OIDC_CLIENT_SECRET"],
            "settings": {"server_url": os.environ["OIDC_SERVER_URL"]},
        }
    )

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "peerplan.lib.static_files.StaticFiles"},
}

# Attachments (peerplan/operations/attachments.py; the file checks in peerplan/lib/uploads.py): kept
# through the storage API, never served from a public URL (no MEDIA_URL is routed; every download goes
# through a view that checks the organisation). The local directory is outside static/ and the checkout's
# served files. With ATTACHMENTS_S3_BUCKET set, files go to
# S3-compatible object storage through django-storages instead (pip install 'peerplan[s3]'), so several
# hosts share them.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
if os.environ.get("ATTACHMENTS_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["ATTACHMENTS_S3_BUCKET"],
            "endpoint_url": os.environ.get("ATTACHMENTS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("ATTACHMENTS_S3_REGION") or None,
            "access_key": os.environ.get("ATTACHMENTS_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("ATTACHMENTS_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 20) * 1024 * 1024
ATTACHMENT_ORGANISATION_MAX_BYTES = env_int("ATTACHMENT_ORGANISATION_MAX_MB", 2048) * 1024 * 1024
# Organisation export (README "Export and import"): an organisation with more rows than this (checklists, items,
# actions, comments, files and history rows together) has its archive built by the scheduled
# `build_organisation_exports` rather than while its owner waits; archives are kept this many days.
ORGANISATION_EXPORT_BACKGROUND_ROWS = env_int("ORGANISATION_EXPORT_BACKGROUND_ROWS", 5000)
ORGANISATION_EXPORT_DAYS = env_int("ORGANISATION_EXPORT_DAYS", 7)
# What an import unpacks at most, by the sizes the zip declares (checked before anything is unpacked): all of
# it, files included, and the document, which is read whole. The benchmark's large organisation (5,000 actions)
# is well under 1 MB of document.
ORGANISATION_IMPORT_MAX_BYTES = env_int("ORGANISATION_IMPORT_MAX_BYTES", 2 * 2**30)
ORGANISATION_IMPORT_MAX_DOCUMENT_BYTES = env_int("ORGANISATION_IMPORT_MAX_DOCUMENT_BYTES", 64 * 2**20)

# Notifications (peerplan/notify/): an email waits this long so that several notifications
# to one person within it make one email; send_notifications (cron, every minute) sends them.
NOTIFICATION_EMAIL_DELAY = env_int("NOTIFICATION_EMAIL_DELAY", 120)
UNSUBSCRIBE_LINK_DAYS = env_int("UNSUBSCRIBE_LINK_DAYS", 90)

# Retention (peerplan/operations/retention.py; the command purge_expired, daily). Sign-in records (django-axes'
# logs and failed attempts) serve investigating a break-in: 90 days covers a quarter's security review. A read
# notification has done its job; a year keeps "what was I told about this?" answerable. An unread one is kept
# twice as long, since it may still be waiting for someone back from long leave.
SIGN_IN_RECORD_DAYS = env_int("SIGN_IN_RECORD_DAYS", 90)
READ_NOTIFICATION_DAYS = env_int("READ_NOTIFICATION_DAYS", 365)
UNREAD_NOTIFICATION_DAYS = env_int("UNREAD_NOTIFICATION_DAYS", 730)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "PeerPlan <peerplan@localhost>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Security. Behind a TLS-terminating proxy, set SECURE_SSL_REDIRECT and trust X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", True) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer checks gunicorn directly over plain HTTP: a redirect would mark every host down.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# No inline script anywhere: every script is a file under static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# The API (peerplan/api/): personal access tokens only, JSON only, rate-limited per token (and per client
# address for the public evidence) in the shared cache. See README, "The API".
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["peerplan.api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["peerplan.api.permissions.HasToken"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["peerplan.api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "peerplan.api.throttling.TokenRateThrottle",
        "peerplan.api.throttling.AddressRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("API_RATE_PER_TOKEN", "600/minute"),
        "address": os.environ.get("API_RATE_PER_ADDRESS", "120/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "peerplan.api.errors.exception_handler",
    # No OPTIONS metadata: every endpoint is described by the schema instead.
    "DEFAULT_METADATA_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PeerPlan API",
    "DESCRIPTION": "Checklists, items and mitigations of the organisation a personal access token belongs to, "
    "its dashboard's figures, and the published evidence. Send the token as `Authorization: Bearer pp_…`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI puts each one, a link, inside the button that opens its operation (nested
    # interactive controls, which a screen reader cannot reach).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "peerplan.api.schema.strict_request_bodies",
        "peerplan.api.schema.response_headers",
    ],
    "ENUM_NAME_OVERRIDES": {
        "MitigationStatusEnum": "peerplan.models.MitigationStatus",
        "ChecklistStatusEnum": "peerplan.models.ChecklistStatus",
        "PriorityEnum": "peerplan.models.Priority",
        "RoleEnum": "peerplan.models.Role",
    },
}

# Sign-in rate limit: per account and, separately, per address.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Renders AXES_LOCKOUT_TEMPLATE with the pause in words; 429 Too Many Requests.
AXES_LOCKOUT_CALLABLE = "peerplan.views.account.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
# allauth signs in with the form field "login" and calls authenticate(email=...): count by the email.
AXES_USERNAME_CALLABLE = "peerplan.accounts.lockout.axes_username"
# Per address: behind a proxy REMOTE_ADDR is the proxy's own address, so every person would share one
# failure count and five wrong passwords would lock the whole service out. The client's address is then
# the one the nearest trusted proxy appended to X-Forwarded-For: the TRUSTED_PROXY_COUNT-th from the right
# (entries further left come from the client and can be forged). Default: 1 when BEHIND_TLS_PROXY.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_TLS_PROXY", True) else 0)


def axes_client_ip(request):
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if TRUSTED_PROXY_COUNT and len(forwarded) >= TRUSTED_PROXY_COUNT:
        return forwarded[-TRUSTED_PROXY_COUNT]
    return request.META.get("REMOTE_ADDR")


AXES_CLIENT_IP_CALLABLE = axes_client_ip

# Logs go to stderr, an event stream for systemd or the container to keep (README "Running it"). LOG_FORMAT
# plain (the default): each line its message, as Django writes it. json: one JSON object per line with the
# time, level, logger, message and request id, and one line per request (method, path, status, duration).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or "plain"
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "peerplan.lib.logs.RequestIdFilter"},
        "hide_credentials": {"()": "peerplan.lib.logs.HideCredentials"},
    },
    "formatters": {"json": {"()": "peerplan.lib.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "hide_credentials"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # The request lines: in JSON logs they replace gunicorn's access log (ACCESS_LOG= turns that off).
    "loggers": {"peerplan.request": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"}},
}

# /metrics (README "Running it"): answered only to these addresses or networks (comma-separated, e.g.
# 127.0.0.1,::1,10.0.5.0/24); every other address gets a 404.
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES", ["127.0.0.1", "::1"])
for _network in METRICS_ALLOWED_ADDRESSES:
    try:
        ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_ADDRESSES must be addresses or networks (10.0.0.0/8), not {_network!r}"
        ) from None

# Errors to Sentry or a compatible service, scrubbed of people's data (peerplan/error_reports.py). Unset:
# nothing of it is loaded and nothing is sent.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "").strip()
if SENTRY_DSN:
    from peerplan import error_reports  # noqa: E402 - only with a DSN: without one nothing of Sentry loads

    error_reports.start(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "").strip() or "production",
        release=os.environ.get("SENTRY_RELEASE", "").strip(),
    )

INVITATION_DAYS = env_int("INVITATION_DAYS", 7)

# Check-ins: a statement's figures show only when at least this many people answered it in a round. It can
# be raised, never lowered below 5: fewer would let a small team tell one person's answers apart.
CHECK_IN_THRESHOLD = env_int("CHECK_IN_THRESHOLD", 5)
if CHECK_IN_THRESHOLD < 5:
    raise ImproperlyConfigured(f"CHECK_IN_THRESHOLD must be 5 or more, not {CHECK_IN_THRESHOLD}")
