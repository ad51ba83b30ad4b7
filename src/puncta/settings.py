"""Puncta's settings: one module, driven by the environment.

PUNCTA_MODE chooses the profile: ``demo`` and ``dev`` (local, may use a generated key),
``test`` (the suite), ``production`` (refuses an insecure configuration, naming the
setting that is wrong). Everything else has a safe default for the embedded SQLite demo.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

MODE = os.environ.get("PUNCTA_MODE", "dev").strip().lower()
if MODE not in {"demo", "dev", "test", "production"}:
    raise ImproperlyConfigured(
        f"PUNCTA_MODE={MODE!r} is not one of demo, dev, test, production."
    )
PRODUCTION = MODE == "production"

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("PUNCTA_DATA_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (PUNCTA_MODE=production).")
    if MODE == "test":
        return "test-only-" + "x" * 50
    # Demo/dev: generate once and keep it under the data directory so sessions survive
    # restarts; the file is private to the user running Puncta.
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("PUNCTA_DEBUG", False) and not PRODUCTION
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
    ).split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API reference page's scripts locally (no CDN under our CSP)
    "puncta.clinics",
    "puncta.accounts",
    "puncta.audit",
    "puncta.devices",
    "puncta.patients",
    "puncta.consent",
    "puncta.plans",
    "puncta.scheduling",
    "puncta.charting",
    "puncta.outcomes",
    "puncta.api",
    "puncta.fhir",
    "puncta.web",
    "puncta.synth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "puncta.accounts.middleware.SessionLifetimeMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "puncta.web.middleware.RefuseNulMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "puncta.accounts.middleware.UserLanguageMiddleware",
    "puncta.accounts.middleware.ActiveClinicMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "puncta.accounts.middleware.MfaMiddleware",
    "puncta.accounts.middleware.NoStoreForSignedInMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "puncta.urls"
WSGI_APPLICATION = "puncta.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "puncta.accounts.context_processors.membership",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{DATA_DIR / 'puncta.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL") or _default_sqlite
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=60 if PRODUCTION else 0)
except Exception as exc:  # dj_database_url raises several types; the message is what matters
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    if _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers work while one writer writes; IMMEDIATE transactions take the
    # write lock up front, which serializes writers instead of failing them mid-way.
    _db["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    if MODE == "test":
        # A file, not memory: threads then see real WAL + IMMEDIATE locking, as in use.
        # One file per test process, so concurrent runs never share (or delete) it.
        _db["TEST"] = {"NAME": os.environ.get("PUNCTA_TEST_SQLITE") or str(
            Path(tempfile.gettempdir()) / f"puncta-test-{os.getpid()}.sqlite3")}
        if _db["NAME"] == ":memory:":
            # Never ":memory:" even before the test database exists: a live server started
            # first would otherwise share the main thread's one connection with its own
            # thread (Django does that for in-memory SQLite), and a request finishing while
            # a test flushes crashes SQLite (seen on a loaded machine).
            _db["NAME"] = _db["TEST"]["NAME"]
elif _db["ENGINE"].startswith("django.db.backends.postgresql"):
    _db["TEST"] = {"NAME": os.environ.get("PUNCTA_TEST_DB_NAME") or None}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security --------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if MODE == "test":
    # Argon2 is deliberately slow; tests hash hundreds of passwords.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the user's memberships with the user (one query).
    "puncta.accounts.backends.MembershipBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("PUNCTA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours: a locked account/IP may retry after 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Two-step sign-in (TOTP): the roles that must use it, comma-separated. Unset: the
# physicians and clinic administrators in production, nobody otherwise (the demo
# personas sign in with a password); set it empty to require it of nobody.
_mfa_roles = os.environ.get("PUNCTA_MFA_REQUIRED_ROLES")
PUNCTA_MFA_REQUIRED_ROLES: list[str] | None = (
    None if _mfa_roles is None else [r.strip() for r in _mfa_roles.split(",") if r.strip()])
OTP_TOTP_ISSUER = "Puncta"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Idle expiry: the cookie lives 15 minutes and is renewed on every request; the absolute
# 12-hour limit is enforced by SessionLifetimeMiddleware from the login time.
SESSION_COOKIE_AGE = 15 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Secure cookies need HTTPS; the local demo is served over plain http on 127.0.0.1.
SESSION_COOKIE_SECURE = _env_bool("PUNCTA_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_HSTS_SECONDS = int(os.environ.get("PUNCTA_HSTS_SECONDS", "31536000"))
    SECURE_SSL_REDIRECT = _env_bool("PUNCTA_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# No inline scripts or styles: htmx is configured through a meta tag, not inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"  # stored in UTC; shown in the clinic's zone (ActiveClinicMiddleware)

# --- Files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("PUNCTA_STATIC_ROOT", DATA_DIR / "static"))
if not PRODUCTION:
    # WhiteNoise warns about a missing root even when it serves from the app finders.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("PUNCTA_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Clinical photographs: never under MEDIA_URL; read only through the outcomes view that
# checks the clinic and role and audits the read. Replace this entry (e.g. with an
# S3-compatible backend from django-storages) to keep them elsewhere.
STORAGES["photos"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(Path(os.environ.get("PUNCTA_PHOTO_ROOT", DATA_DIR / "photos"))),
                "base_url": None, "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700},
}
# Outside production WhiteNoise serves straight from the apps, so the demo needs no
# collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
if not PRODUCTION:
    STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }

# --- Email and tasks --------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "puncta@localhost")
# The address patients reach Puncta at, for links sent by background tasks (no request).
PUNCTA_BASE_URL = os.environ.get("PUNCTA_BASE_URL", "http://127.0.0.1:8000")
TASKS = {
    "default": {
        # The database backend everywhere: reminders are deferred to a time, and the task
        # log is a table the clinic (and the tests) can read.
        "BACKEND": "django_tasks_db.DatabaseBackend"
    }
}

# --- Audit anchoring and backups ---------------------------------------------------------
# The key that signs audit checkpoints must live outside the database: an environment
# variable, or a file generated once in the data directory (never in the database).
# Production must name one explicitly (_check_production).
AUDIT_KEY = os.environ.get("PUNCTA_AUDIT_KEY", "")
# Who links audit events into their chain (puncta.audit.seal): "commit" — the writer,
# right after its commit, unless another writer is already sealing (default); "worker" —
# only the worker, every PUNCTA_AUDIT_SEAL_SECONDS (one less transaction per request).
AUDIT_SEAL = os.environ.get("PUNCTA_AUDIT_SEAL", "commit")
if AUDIT_SEAL not in ("commit", "worker"):
    raise ImproperlyConfigured("PUNCTA_AUDIT_SEAL must be 'commit' or 'worker'.")
AUDIT_SEAL_SECONDS = float(os.environ.get("PUNCTA_AUDIT_SEAL_SECONDS", "2"))
# A writer seals at most this often per chain and process (the test suite: every commit).
AUDIT_SEAL_EVERY_MS = float(os.environ.get(
    "PUNCTA_AUDIT_SEAL_EVERY_MS", "0" if MODE == "test" else "200"))
AUDIT_KEY_FILE = Path(os.environ.get("PUNCTA_AUDIT_KEY_FILE") or DATA_DIR / "audit.key")
# Signed checkpoints: a JSON-lines file appended to (default), or, when
# PUNCTA_AUDIT_CHECKPOINT_STORAGE names a Django storage backend, one object per checkpoint
# in that storage (STORAGES["audit_checkpoints"]).
AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("PUNCTA_AUDIT_CHECKPOINTS") or DATA_DIR / "audit-checkpoints.jsonl")
if os.environ.get("PUNCTA_AUDIT_CHECKPOINT_STORAGE"):
    try:
        _options = json.loads(os.environ.get("PUNCTA_AUDIT_CHECKPOINT_STORAGE_OPTIONS") or "{}")
    except ValueError as exc:
        raise ImproperlyConfigured(
            "PUNCTA_AUDIT_CHECKPOINT_STORAGE_OPTIONS is not a JSON object.") from exc
    STORAGES["audit_checkpoints"] = {
        "BACKEND": os.environ["PUNCTA_AUDIT_CHECKPOINT_STORAGE"], "OPTIONS": _options}
try:
    AUDIT_CHECKPOINT_MINUTES = int(os.environ.get("PUNCTA_AUDIT_CHECKPOINT_MINUTES", "15"))
except ValueError as exc:
    raise ImproperlyConfigured("PUNCTA_AUDIT_CHECKPOINT_MINUTES must be a whole number.") from exc
# PostgreSQL: `puncta migrate` grants this role normal rights everywhere but only SELECT
# and INSERT on the audit events (it never owns them, so it cannot disable their guards).
DB_APP_ROLE = os.environ.get("PUNCTA_DB_APP_ROLE", "").strip()
DB_APP_PASSWORD = os.environ.get("PUNCTA_DB_APP_PASSWORD", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PUNCTA_LOG_LEVEL", "WARNING")},
}

# Rate limits, counted in the database so every worker shares them ("COUNT/SECONDS" per
# client address): failed API token attempts, and the public intake link pages (all
# requests, and unknown or used links, which is what guessing looks like).
def _rate(name: str, default: str) -> tuple[int, int]:
    raw = os.environ.get(name) or default
    try:
        count, seconds = (int(part) for part in raw.split("/"))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not COUNT/SECONDS (e.g. 20/300).") \
            from None
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(f"{name}={raw!r}: both numbers must be positive.")
    return count, seconds


PUNCTA_TOKEN_FAILURE_RATE = _rate("PUNCTA_TOKEN_FAILURE_RATE", "20/300")
PUNCTA_INTAKE_RATE = _rate("PUNCTA_INTAKE_RATE", "120/60")
PUNCTA_INTAKE_BAD_LINK_RATE = _rate("PUNCTA_INTAKE_BAD_LINK_RATE", "10/900")

# Count SQL queries per request and expose them in a response header (bench mode only).
PUNCTA_BENCH = _env_bool("PUNCTA_BENCH", False)
if PUNCTA_BENCH:
    MIDDLEWARE.insert(0, "puncta.web.middleware.QueryCountHeaderMiddleware")


def _check_production() -> None:
    """Refuse to start production with an insecure configuration, naming the setting."""
    problems = []
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        problems.append("SECRET_KEY is too short or too simple (50+ random characters).")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must list the host names Puncta is served under.")
    if _env_bool("PUNCTA_DEBUG", False):
        problems.append("PUNCTA_DEBUG must be off in production.")
    if not SESSION_COOKIE_SECURE:
        problems.append("PUNCTA_SECURE_COOKIES must be on in production (HTTPS only).")
    if not os.environ.get("DATABASE_URL"):
        problems.append("DATABASE_URL must be set in production (PostgreSQL).")
    if not AUDIT_KEY and not os.environ.get("PUNCTA_AUDIT_KEY_FILE"):
        problems.append("PUNCTA_AUDIT_KEY or PUNCTA_AUDIT_KEY_FILE must be set in production "
                        "(the key that signs audit checkpoints, kept outside the database).")
    elif AUDIT_KEY and len(AUDIT_KEY) < 32:
        problems.append("PUNCTA_AUDIT_KEY is too short (32+ random characters).")
    if problems:
        raise ImproperlyConfigured("Insecure production configuration: " + " ".join(problems))


if PRODUCTION:
    _check_production()
