"""One settings module, configured from the environment.

Every setting has a default that runs locally on SQLite; production sets
DEBUG=false, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    """A spelling it does not know (DEBUG=ture) is an error, never quietly False."""
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off (any case)."
    )


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a whole number (the default is {default})."
        ) from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)

_DEV_SECRET_KEY = "dev-only-secret-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY when DEBUG is off.")

# 127.0.0.1 always: the container's health check asks for /healthz by that name.
ALLOWED_HOSTS = [*envlist("ALLOWED_HOSTS", "localhost,[::1]"), "127.0.0.1"]
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "papers",
    "sessions.apps.SessionsConfig",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "nice.middleware.CleanInputMiddleware",  # after CSRF, which reads the raw POST first
    # Outside every view's transaction: sees which uploads were rolled back.
    "nice.filecleanup.NoOrphanFilesMiddleware",
    "nice.storage.StorageFullMiddleware",  # a full disk where no form catches it: 507
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
    # After axes all the same: it only handles public GETs, which axes never touches,
    # and it must decide after the URL is resolved (process_view).
    "nice.pagecache.PublicPageCacheMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "sessions:manage-dashboard"
LOGOUT_REDIRECT_URL = "sessions:home"
# Five wrong passwords for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Password reset mails go to the console unless SMTP is configured (Django 6.1 MAILERS).
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": envint("EMAIL_PORT", 587),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": envbool("EMAIL_USE_TLS", True),
            },
        }
        if os.environ.get("EMAIL_HOST")
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "nice <noreply@localhost>")

# Where links in mails point (a mail has no request to take the host from).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Background work (mail) runs in `manage.py run_worker`, from a queue in the database:
# any number of workers on any number of machines share it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Subscribe and RSVP forms: attempts per address and per IP address an hour, and
# confirmation mails one address receives a day.
OUTREACH_ATTEMPTS_PER_HOUR = envint("OUTREACH_ATTEMPTS_PER_HOUR", 5)
OUTREACH_ATTEMPTS_PER_IP_PER_HOUR = envint("OUTREACH_ATTEMPTS_PER_IP_PER_HOUR", 30)
OUTREACH_CONFIRMATIONS_PER_DAY = envint("OUTREACH_CONFIRMATIONS_PER_DAY", 3)

# arXiv metadata for talks added by id; answers are cached for a day.
ARXIV_API_URL = os.environ.get("ARXIV_API_URL", "https://export.arxiv.org/api/query")
ARXIV_TIMEOUT_SECONDS = float(os.environ.get("ARXIV_TIMEOUT_SECONDS", "5"))

ROOT_URLCONF = "nice.urls"
WSGI_APPLICATION = "nice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["django_htmx.templatetags.django_htmx"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
        # With persistent connections, a database restart costs only the requests
        # made during the outage, not the first one of every idle worker.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writes wait their turn instead of failing with "database is locked":
    # IMMEDIATE takes the write lock when a transaction begins, so the busy timeout
    # applies (a read-then-write transaction that has to upgrade its lock fails at once);
    # WAL lets readers carry on while one process writes. Options in DATABASE_URL win.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("SQLITE_BUSY_TIMEOUT_SECONDS", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        **DATABASES["default"].get("OPTIONS", {}),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The archive's tables are small enough to stay in memory (or on SSD), where a
    # random read costs about what a sequential one does. With the default (4) the
    # planner reads all 30,000 papers to join 180 talks (41 ms) instead of looking
    # them up by key (0.7 ms). JIT off: a search's plan is costed high (the branch it
    # will not take counts too) and JIT spent 150-250 ms compiling a query that runs
    # in 30; every query here is short. Set per connection: no owner or superuser
    # needed, any server.
    DATABASES["default"]["OPTIONS"] = {
        "options": (
            f"-c random_page_cost={os.environ.get('DB_RANDOM_PAGE_COST', '1.1')} -c jit=off"
        ),
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The shared cache: public pages (nice.pagecache), their content version, arXiv answers.
# Redis when REDIS_URL is set (several app servers share it); otherwise files on this
# machine, which every worker process shares (a per-process memory cache would let one
# worker serve a page another worker's write has made stale).
_CACHE_KEY_PREFIX = hashlib.blake2b(
    repr([DATABASES["default"].get(k) for k in ("NAME", "HOST", "PORT")]).encode(), digest_size=6
).hexdigest()  # one cache may serve several sites: each database gets its own keys
_CACHE: dict[str, object]
if os.environ.get("REDIS_URL"):
    _CACHE = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }
else:
    _CACHE = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("CACHE_DIR", str(BASE_DIR / "var" / "cache")),
        "OPTIONS": {"MAX_ENTRIES": envint("CACHE_MAX_ENTRIES", 2000)},
    }
CACHES = {"default": {**_CACHE, "KEY_PREFIX": _CACHE_KEY_PREFIX}}
# How long a cached public page lives at most (a write replaces it at once anyway).
PAGE_CACHE_SECONDS = envint("PAGE_CACHE_SECONDS", 600)
# How long a CDN or proxy may keep a public page (s-maxage); browsers always ask again.
PUBLIC_CACHE_SECONDS = envint("PUBLIC_CACHE_SECONDS", 60)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first: zh-hans unless the visitor's cookie or browser asks for English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["nice.formats"]
USE_I18N = True
# Stored in UTC; every page shows times in the series' own zone, named.
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
SERVE_MEDIA = envbool("SERVE_MEDIA", DEBUG)
STORAGES = {
    # Any Django storage: e.g. MEDIA_STORAGE_BACKEND=storages.backends.s3.S3Storage and
    # MEDIA_STORAGE_OPTIONS='{"bucket_name": "nice-media"}' (README). Nothing assumes a local path.
    "default": {
        "BACKEND": os.environ.get("MEDIA_STORAGE_BACKEND", "nice.storage.AtomicFileSystemStorage"),
        "OPTIONS": json.loads(os.environ.get("MEDIA_STORAGE_OPTIONS", "{}")),
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploaded images (posters, QR codes, photos): the full pipeline comes later;
# for now a format allow-list and caps checked before anything is stored.
IMAGE_UPLOAD_MAX_BYTES = envint("IMAGE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
IMAGE_UPLOAD_MAX_PIXELS = envint("IMAGE_UPLOAD_MAX_PIXELS", 40_000_000)
# A font with Chinese for the share cards and posters the app draws; empty:
# ask fontconfig for Noto Sans CJK SC (Debian's fonts-noto-cjk).
CJK_FONT = os.environ.get("CJK_FONT", "")

SESSIONS_PER_PAGE = envint("SESSIONS_PER_PAGE", 12)
TALKS_PER_PAGE = envint("TALKS_PER_PAGE", 20)  # a person's talks
# How far back a series' calendar feed reaches; upcoming sessions are always in it.
CALENDAR_PAST_WEEKS = envint("CALENDAR_PAST_WEEKS", 8)
API_PAGE_SIZE = envint("API_PAGE_SIZE", 20)

# No inline script or style anywhere: everything comes from our static files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    # Recordings' players, loaded when a visitor presses play (sessions/recordings.py).
    "frame-src": ["https://www.youtube-nocookie.com", "https://player.bilibili.com"],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
# Docker's health check asks http://127.0.0.1/healthz; a redirect to https:// would fail it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_HTTPS_PROXY", False) else None
)
# Any of these says the site is served over HTTPS (secure cookies already make plain HTTP
# logins fail), so browsers may remember that for a year. SecurityMiddleware sends the
# header only on requests it sees as HTTPS.
_SERVED_OVER_HTTPS = bool(SECURE_SSL_REDIRECT or SECURE_PROXY_SSL_HEADER or SESSION_COOKIE_SECURE)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if _SERVED_OVER_HTTPS else 0)
# Off unless set: includeSubDomains pins every host under ours to HTTPS for the same year,
# and the operator, not the app, knows what else runs there. Preload needs includeSubDomains
# and a submission to the browsers' built-in list, which takes months to undo.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    # check --deploy warns whenever HSTS is on without includeSubDomains (W005) and preload
    # (W021). The risk W005 names, a plain-HTTP subdomain, does not reach this app: its
    # session and CSRF cookies are Secure and host-only (no *_COOKIE_DOMAIN), and CSRF checks
    # the Origin of HTTPS requests. W021 only says the site cannot go on the preload list,
    # which takes whole registrable domains, not the subdomain we are usually served on.
    # Operators who own the whole domain set both variables and neither warning fires.
    "security.W005",
    "security.W021",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; failures and lockouts are WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}
