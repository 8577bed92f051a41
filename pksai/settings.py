"""PKSAI settings: everything that differs between machines comes from the environment.

DATABASE_URL   database (default: SQLite file var/pksai.sqlite3; PostgreSQL in production);
               on PostgreSQL its user is the application role
DATABASE_OWNER, DATABASE_OWNER_PASSWORD  the role that owns the tables; `pksai migrate` and
               `pksai restore` connect as it (decision 0004, docs/operations.md)
SECRET_KEY     signing key (default: read from var/secret_key, which `make run` creates)
PKSAI_FIELD_KEYS, PKSAI_NIK_HASH_KEY  keys of the encrypted fields and of the keyed NIK hash,
               current first, comma-separated (default: var/field_keys, var/nik_hash_key, which
               `make run` creates; refused to start without them unless DEBUG; decision 0024)
ALLOWED_HOSTS  comma-separated host names (default: 127.0.0.1,localhost)
DEBUG          "1"/"true" to turn debug on (default: off)
PKSAI_HTTPS    "1" when served over HTTPS: secure cookies, HSTS, redirect to https
PKSAI_VAR_DIR  where local data lives (default: var/ beside the package)
EMAIL_HOST     SMTP server for e-mail alerts (unset: no e-mail; alerts stay in the app);
               EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, DEFAULT_FROM_EMAIL
PKSAI_ATTACHMENT_ROOT, PKSAI_ATTACHMENT_MAX_BYTES  where case attachments live, largest allowed
PKSAI_FIELD_GPS   keep the location of visits sent from the field app (default 1; 0 drops it)
PKSAI_FIELD_UPLOAD_HOURS  incomplete field-app uploads older than this are removed (default 72)
PKSAI_PUBLIC_COMPLAINTS_PER_HOUR  public complaint form submissions per sender and hour (5)
PKSAI_TRUSTED_PROXY_COUNT  proxies in front whose X-Forwarded-For entries are trusted (0, or 1
               with PKSAI_BEHIND_PROXY): the client's address for throttling and the audit trail
PKSAI_LOGIN_FAILURE_LIMIT, PKSAI_LOCKOUT_MINUTES, PKSAI_LOGIN_ADDRESS_FAILURE_LIMIT,
PKSAI_LOGIN_KNOWN_ADDRESS_DAYS, PKSAI_PASSWORD_RESETS_PER_HOUR  sign-in throttling (decision 0019)
PKSAI_OIDC_*   single sign-on with an OpenID Connect provider (off unless PKSAI_OIDC_ISSUER and
               PKSAI_OIDC_CLIENT_ID are set; decision 0021, docs/single-sign-on.md)
PKSAI_SECOND_FACTOR  "0" turns off the second factor its roles need (default on; decision 0020);
               PKSAI_WEBAUTHN_RP_ID, PKSAI_WEBAUTHN_ORIGIN  security keys' site (default: the Host)
PKSAI_SUPPRESS_BELOW  published tables suppress counts below this (5), with complements
PKSAI_MONITORING_CACHE_SECONDS, PKSAI_MONITORING_CACHE_LOCATION  how long dashboard counts are
               kept (300 s) and where (a directory, default var/cache/monitoring, or "memory")
PKSAI_WEB_WORKERS, PKSAI_WEB_THREADS, PKSAI_WEB_TIMEOUT, PKSAI_DB_POOL*, PKSAI_MAX_*_BYTES,
PKSAI_READY_WORKER_STALE_SECONDS, PKSAI_SCHEDULER_EVERY  the server (decision 0015, README)
PKSAI_FIELD_WIPE_DAYS, PKSAI_FIELD_PIN_ATTEMPTS  the field app wipes its offline data after
               this many days without a sync (14) and after this many wrong PINs (5)
PKSAI_RETENTION_EVERY_HOURS  how often the scheduler queues the retention run (24; 0: by hand)
PKSAI_WEBHOOK_*  outbound webhooks: timeout (10 s), first retry (30 s, doubling up to 6 h),
               attempts before giving up (8), hosts allowed plain http (none) — decision 0035;
               PKSAI_WEBHOOK_LOG_DAYS: the delivery log is kept 90 days (0: for ever)
PKSAI_MESSAGING_CHANNELS  JSON: the outbound channels (default: sms and whatsapp to the log file
               var/messages.log — PKSAI_MESSAGING_LOG —, e-mail through EMAIL_HOST when set);
               PKSAI_MESSAGING_MAX_ATTEMPTS (5), PKSAI_MESSAGING_BACKOFF_SECONDS (60),
               PKSAI_MESSAGING_BODY_DAYS (7), PKSAI_SITE_URL  (decision 0033, docs/messaging.md)
PKSAI_DHIS2_URL, PKSAI_DHIS2_USERNAME, PKSAI_DHIS2_PASSWORD, PKSAI_DHIS2_TOKEN,
PKSAI_DHIS2_DATA_SET, PKSAI_DHIS2_TIMEOUT_SECONDS  the DHIS2 that `pksai dhis2-export --push`
               posts data value sets to (basic auth or a personal access token; 30 s), the
               data set ADX groups name — decision 0036, docs/dhis2.md
PKSAI_DCI_SENDER_ID, PKSAI_DCI_KEY_ID, PKSAI_DCI_PRIVATE_KEY_FILE  our DCI identity: the sender
               id callers know us by, the key id and our Ed25519 private key (PEM) that signs
               our DCI answers and requests; PKSAI_DCI_CRVS_URL, PKSAI_DCI_CRVS_RECEIVER_ID,
               PKSAI_DCI_CRVS_PUBLIC_KEY_FILE, PKSAI_DCI_TIMEOUT_SECONDS  the DCI CRVS registry
               asked for birth registrations; PKSAI_DCI_MESSAGES_PER_MINUTE  search messages a
               caller may send a minute (60); PKSAI_DCI_MESSAGE_LOG_DAYS  days the message ids
               callers used are kept to refuse replays (30, at least 1)
               — decision 0039, docs/dci.md
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent
VAR_DIR = Path(os.environ.get("PKSAI_VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("DEBUG")
HTTPS = env_bool("PKSAI_HTTPS")


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    raise ImproperlyConfigured(
        f"No SECRET_KEY: set the SECRET_KEY environment variable or create {key_file} "
        "(`make run` and `make test` create one for local use)."
    )


SECRET_KEY = _secret_key()


def _field_keys(variable: str, file_name: str) -> tuple[bytes, ...]:
    """Keys for the encrypted fields (decision 0024), outside the database: the environment
    variable, else var/<file_name> (one key a line, current first). Missing with DEBUG on: the
    file is made (local use); with DEBUG off the server refuses to start."""
    from pksai.core.crypto import FieldKeyError, new_key, parse_keys

    key_file = VAR_DIR / file_name
    if text := os.environ.get(variable, "").strip():
        source = variable
    elif key_file.exists():
        text, source = key_file.read_text(), str(key_file)
    elif DEBUG:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(new_key() + "\n")
        key_file.chmod(0o600)
        text, source = key_file.read_text(), str(key_file)
    else:
        raise ImproperlyConfigured(
            f"No {variable}: set the {variable} environment variable or create {key_file} "
            "(`make run` and `make test` create one for local use; docs/operations.md, "
            '"Field encryption keys"). Without it the encrypted fields cannot be read.'
        )
    try:
        keys = parse_keys(text, name=source)
    except FieldKeyError as exc:
        raise ImproperlyConfigured(str(exc)) from exc
    if not keys:
        raise ImproperlyConfigured(f"{source} holds no key.")
    return keys


# Sealed fields (NIK, reporters, phones, notes — pksai/core/crypto.py): AES-256-GCM keys,
# the current first, older ones after until `pksai rotate-keys` has re-sealed every value.
PKSAI_FIELD_KEYS = _field_keys("PKSAI_FIELD_KEYS", "field_keys")
# The keyed hash (HMAC-SHA256) every exact NIK lookup uses; the current key first, the
# previous one after while `pksai rotate-keys` re-hashes.
PKSAI_NIK_HASH_KEYS = _field_keys("PKSAI_NIK_HASH_KEY", "nik_hash_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "ninja",
    "django_htmx",
    "django_tasks_db",
    "pksai.core",
    "pksai.areas",
    "pksai.accounts",
    "pksai.audit",
    "pksai.registry",
    "pksai.vulnerability",
    "pksai.cases",
    "pksai.referrals",
    "pksai.programs",
    "pksai.payments",
    "pksai.grievances",
    "pksai.privacy",
    "pksai.monitoring",
    "pksai.retention",
    "pksai.webhooks",
    "pksai.primero",
    "pksai.dci",
    "pksai.field",
    "pksai.messaging",
    "pksai.ops",
    "pksai.api",
]

MIDDLEWARE = [
    "pksai.ops.middleware.ObservabilityMiddleware",
    "pksai.core.health.HealthCheckMiddleware",  # /healthz, /readyz: no session, any Host
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "pksai.core.middleware.SessionRenewalMiddleware",
    "pksai.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pksai.core.middleware.NoStoreMiddleware",  # personal data: never cached
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): second factor used
    "pksai.core.middleware.RequestContextMiddleware",
    "pksai.core.middleware.BadInputMiddleware",  # NUL bytes: 400 in the user's language
    "pksai.accounts.oidc.OidcSessionMiddleware",  # single sign-on: re-checks with the provider
    "pksai.core.replica.ReplicaReadsMiddleware",
    "pksai.audit.middleware.PermissionDeniedAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pksai.accounts.middleware.SecondFactorMiddleware",  # decision 0020
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pksai.urls"
WSGI_APPLICATION = "pksai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["pksai.core.templatetags.pksai_time"],  # {{ t|localtime_label }}
        },
    },
]

# --- Database ---------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'pksai.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
# Bounded connections (decision 0015): on PostgreSQL each process keeps a psycopg pool of at
# most PKSAI_DB_POOL_MAX connections, shared by its threads; a request waits up to
# PKSAI_DB_POOL_TIMEOUT seconds for one. The web server opens at most
# PKSAI_WEB_WORKERS × PKSAI_DB_POOL_MAX. PKSAI_DB_POOL=0 turns pooling off (then
# DB_CONN_MAX_AGE applies, 0 = close after every request).
# Processes, not threads, use the cores (Python runs one thread at a time per process): two
# per core, two threads each (measured: benchmarks/bench_load.py, decision 0015).
WEB_WORKERS = int(os.environ.get("PKSAI_WEB_WORKERS", str(2 * (os.cpu_count() or 1))))
WEB_THREADS = int(os.environ.get("PKSAI_WEB_THREADS", "2"))
WEB_TIMEOUT = int(os.environ.get("PKSAI_WEB_TIMEOUT", "60"))  # seconds per request
# Per process; a web process uses at most one per thread, other processes (the worker, a test
# run's live server answering a browser's parallel requests) may need more than two.
DB_POOL_MAX = int(os.environ.get("PKSAI_DB_POOL_MAX", str(max(4, WEB_THREADS))))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = int(
        os.environ.get("PKSAI_DB_CONNECT_TIMEOUT", "5")
    )
    # pg_stat_activity shows which process holds a connection (`pksai serve` names its own).
    DATABASES["default"]["OPTIONS"]["application_name"] = os.environ.get(
        "PKSAI_DB_APPLICATION_NAME", "pksai"
    )
    if statement_ms := int(os.environ.get("PKSAI_DB_STATEMENT_TIMEOUT_MS", "0")):
        # `pksai serve` sets this for the web server only (its request timeout), so a slow
        # page cannot hold a connection forever while long jobs in the worker may run.
        DATABASES["default"]["OPTIONS"]["options"] = f"-c statement_timeout={statement_ms}"
    if env_bool("PKSAI_DB_POOL", True):
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections instead
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": int(os.environ.get("PKSAI_DB_POOL_MIN", "1")),
            "max_size": DB_POOL_MAX,
            "timeout": float(os.environ.get("PKSAI_DB_POOL_TIMEOUT", "10")),
            "max_idle": 300,
        }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task worker share the embedded database.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Two roles on PostgreSQL (decision 0004, pksai/ops/db_roles.py): DATABASE_URL's user is the
# application role (rows only; the audit trail append-and-read only), DATABASE_OWNER the role
# that owns the tables. Only `pksai migrate` and `pksai restore` connect as the owner, to the
# same server and database, with DATABASE_OWNER_PASSWORD (pksai/cli.py sets
# PKSAI_DB_CONNECT_AS_OWNER for them while the settings load). Unset: one role does both.
PKSAI_DB_OWNER = ""
PKSAI_DB_OWNER_PASSWORD = ""
PKSAI_DB_APP_ROLE = ""
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and (
    owner := os.environ.get("DATABASE_OWNER", "").strip()
):
    PKSAI_DB_APP_ROLE = DATABASES["default"]["USER"]
    if not PKSAI_DB_APP_ROLE:
        raise ImproperlyConfigured(
            "DATABASE_OWNER is set: DATABASE_URL must name the application role "
            "(postgres://ROLE@host:5432/name)."
        )
    if owner == PKSAI_DB_APP_ROLE:
        raise ImproperlyConfigured(
            f"DATABASE_OWNER and DATABASE_URL's user are both {owner!r}: the owner of the "
            "tables and the application role must be two roles."
        )
    PKSAI_DB_OWNER = owner
    PKSAI_DB_OWNER_PASSWORD = os.environ.get("DATABASE_OWNER_PASSWORD", "")
    if env_bool("PKSAI_DB_CONNECT_AS_OWNER"):
        DATABASES["default"]["USER"] = PKSAI_DB_OWNER
        DATABASES["default"]["PASSWORD"] = PKSAI_DB_OWNER_PASSWORD
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Reports and dashboards may read from a replica (pksai/core/replica.py): DATABASE_REPLICA_URL
# adds it; PKSAI_REPLICA_ROUTES are the URL patterns (prefixes) whose GET requests read there.
if replica_url := os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        replica_url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"], conn_health_checks=True
    )
    if DATABASES["replica"]["ENGINE"] == DATABASES["default"]["ENGINE"]:
        DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["pksai.core.replica.ReplicaRouter"]
PKSAI_REPLICA_ROUTES = env_list(
    "PKSAI_REPLICA_ROUTES",
    "monitoring/,referrals/reports/,complaints/reports/,payments/reports/,"
    "api/v1/monitoring/,api/v1/payments/reports/",
)

# --- Background tasks (Django's Tasks framework, database-backed worker) -----
TASKS = {
    "default": {
        "BACKEND": os.environ.get("PKSAI_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Authentication and sessions --------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sign-in throttling (django-axes + pksai/accounts/throttle.py, decision 0019), counted in the
# database (every server sees the same counts):
# - one username from one address: locked after PKSAI_LOGIN_FAILURE_LIMIT failures;
# - one address, any usernames (password spraying): paused after
#   PKSAI_LOGIN_ADDRESS_FAILURE_LIMIT failures, except for usernames that signed in from it in
#   the last PKSAI_LOGIN_KNOWN_ADDRESS_DAYS days (a district office shares one NAT address);
# both for PKSAI_LOCKOUT_MINUTES. A stranger elsewhere cannot lock the real user out; the user
# lifts a lock with a password reset by e-mail.
AXES_FAILURE_LIMIT = int(os.environ.get("PKSAI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PKSAI_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "pksai.accounts.throttle.ThrottleHandler"
AXES_LOCKOUT_CALLABLE = "pksai.accounts.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "pksai.core.client.client_address"
AXES_RESET_ON_SUCCESS = True  # the pair's failures; the address's other failures stay
AXES_VERBOSE = False
PKSAI_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("PKSAI_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
PKSAI_LOGIN_KNOWN_ADDRESS_DAYS = int(os.environ.get("PKSAI_LOGIN_KNOWN_ADDRESS_DAYS", "90"))
# Password reset requests per address and hour (the e-mailed link that also lifts a lock).
PKSAI_PASSWORD_RESETS_PER_HOUR = int(os.environ.get("PKSAI_PASSWORD_RESETS_PER_HOUR", "5"))
PASSWORD_RESET_TIMEOUT = 60 * 60  # seconds a reset link stays valid

# Single sign-on with OpenID Connect (pksai/accounts/oidc.py, decision 0021,
# docs/single-sign-on.md). Off unless an issuer and a client id are set; local passwords stay.
PKSAI_OIDC_ISSUER = os.environ.get("PKSAI_OIDC_ISSUER", "").rstrip("/")
# default: the issuer's /.well-known/openid-configuration
PKSAI_OIDC_DISCOVERY_URL = os.environ.get("PKSAI_OIDC_DISCOVERY_URL", "")
PKSAI_OIDC_CLIENT_ID = os.environ.get("PKSAI_OIDC_CLIENT_ID", "")
PKSAI_OIDC_CLIENT_SECRET = os.environ.get("PKSAI_OIDC_CLIENT_SECRET", "")
PKSAI_OIDC_PROVIDER_NAME = os.environ.get("PKSAI_OIDC_PROVIDER_NAME", "")  # "Sign in with …"
PKSAI_OIDC_SCOPES = os.environ.get("PKSAI_OIDC_SCOPES", "openid profile email pksai")
# The claims that carry the roles (a list of role names) and the area scope (a list of
# Kemendagri codes, or "national").
PKSAI_OIDC_ROLES_CLAIM = os.environ.get("PKSAI_OIDC_ROLES_CLAIM", "pksai_roles")
PKSAI_OIDC_AREAS_CLAIM = os.environ.get("PKSAI_OIDC_AREAS_CLAIM", "pksai_areas")
# The provider's role names → PKSAI roles, "theirs=ours,…"; a name not listed is taken as a
# PKSAI role slug. Only roles in PKSAI_OIDC_ALLOWED_ROLES are ever granted (default: every
# role except the administrators, which are kept in PKSAI).
PKSAI_OIDC_ROLE_MAP = dict(
    pair.split("=", 1) for pair in env_list("PKSAI_OIDC_ROLE_MAP", "") if "=" in pair
)
PKSAI_OIDC_ALLOWED_ROLES = env_list(
    "PKSAI_OIDC_ALLOWED_ROLES",
    "coordinator,supervisor,psychologist,data_officer,registration_staff,social_worker,"
    "focal_person,program_officer,complaints_officer,national_analyst,auditor",
)
# Seconds between checks with the provider (refresh token + userinfo; never later than the
# ID token's expiry): a user disabled there loses access at the first request after it.
PKSAI_OIDC_RENEW_SECONDS = int(os.environ.get("PKSAI_OIDC_RENEW_SECONDS", "300"))
PKSAI_OIDC_TIMEOUT = float(os.environ.get("PKSAI_OIDC_TIMEOUT", "10"))  # seconds per call
# Second factor (decision 0020): TOTP (django-otp), security keys and passkeys (WebAuthn),
# recovery codes. A user holding any of these permissions must enrol and use a second factor
# in the session before any page but sign-in, sign-out and the second-factor pages; API tokens
# are refused for them. PKSAI_SECOND_FACTOR=0 turns the requirement off (a demo, the tests that
# are not about it); never in production.
PKSAI_SECOND_FACTOR_REQUIRED = env_bool("PKSAI_SECOND_FACTOR", True)
PKSAI_SECOND_FACTOR_PERMISSIONS = (
    "cases.view_restricted_case",  # open restricted cases
    "grievances.view_restricted_complaint",  # the restricted complaint queue (misconduct)
    "payments.approve_fundplan",  # approve money: withdrawals from a child's savings
    "programs.approve_selectionround",  # approve money: who receives benefits
    "payments.add_payerbatch",  # send money; exports the payer's file (names, amounts)
    "registry.view_importbatch",  # exports rejected registry rows (names, NIKs)
    "accounts.change_user",  # administrators: roles, scopes and second-factor resets
    "privacy.export_subjectrequest",  # exports all PKSAI holds on a person (access requests)
)
OTP_TOTP_ISSUER = "PKSAI"
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds, doubled after each failure
OTP_STATIC_THROTTLE_FACTOR = 1
PKSAI_RECOVERY_CODES = 10
# WebAuthn relying party: the site's host name and origin (default: from the request's Host,
# which ALLOWED_HOSTS has already checked).
PKSAI_WEBAUTHN_RP_ID = os.environ.get("PKSAI_WEBAUTHN_RP_ID", "")
PKSAI_WEBAUTHN_ORIGIN = os.environ.get("PKSAI_WEBAUTHN_ORIGIN", "")

SESSION_COOKIE_AGE = 8 * 60 * 60  # a working day, renewed on activity
SESSION_SAVE_EVERY_REQUEST = False  # renewed by core.middleware.SessionRenewalMiddleware
PKSAI_SESSION_RENEW_SECONDS = int(os.environ.get("PKSAI_SESSION_RENEW_SECONDS", "300"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Security headers ---------------------------------------------------------
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
if env_bool("PKSAI_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The client's address (pksai/core/client.py: client_address): the X-Forwarded-For entry this
# many hops from the right, written by the proxies we run; 0 = the connection's REMOTE_ADDR.
# Default 1 behind a proxy (PKSAI_BEHIND_PROXY), else 0. Never more than the proxies there are:
# the entries further left are whatever the client sent.
PKSAI_TRUSTED_PROXY_COUNT = int(
    os.environ.get("PKSAI_TRUSTED_PROXY_COUNT", "1" if env_bool("PKSAI_BEHIND_PROXY") else "0")
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- Internationalisation and time --------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True  # stored in UTC, shown in the user's zone (WIB, WITA or WIT)
TIME_ZONE = "Asia/Jakarta"

# --- Static files (vendored; never from a CDN) -------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("PKSAI_MEDIA_ROOT", VAR_DIR / "media"))
# Case attachments: outside the web root, served only by a permission-checked, audited view.
ATTACHMENT_ROOT = Path(os.environ.get("PKSAI_ATTACHMENT_ROOT", VAR_DIR / "attachments"))
# Registry import uploads and error reports (None: VAR_DIR/imports).
IMPORT_ROOT = os.environ.get("PKSAI_IMPORT_ROOT") or None
# Files live in shared storage (PKSAI_STORAGE=dir, the default, or s3): see pksai/core/files.py.
from pksai.core.files import storages_setting  # noqa: E402

STORAGES = storages_setting(os.environ)
ATTACHMENT_MAX_BYTES = int(os.environ.get("PKSAI_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))

# --- The field app (issue 19, docs/field-api.md). PKSAI_FIELD_GPS=0: visits sent from the
# field app keep no location (the coordinates a device sends are dropped); incomplete uploads
# older than PKSAI_FIELD_UPLOAD_HOURS are removed by `pksai field-cleanup` / the scheduler. ---
PKSAI_FIELD_GPS = os.environ.get("PKSAI_FIELD_GPS", "1").lower() not in ("0", "false", "no", "off")
PKSAI_FIELD_UPLOAD_HOURS = int(os.environ.get("PKSAI_FIELD_UPLOAD_HOURS", 72))

# --- E-mail (alerts). Without EMAIL_HOST nothing is sent; alerts still show in the app. ---
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ["EMAIL_HOST"],
            "port": int(os.environ.get("EMAIL_PORT", 587)),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", True),
        },
    }
    if os.environ.get("EMAIL_HOST")
    else {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "pksai@localhost")

# --- Messaging (decision 0033, docs/messaging.md) ---
PKSAI_MESSAGING_LOG = Path(os.environ.get("PKSAI_MESSAGING_LOG", VAR_DIR / "messages.log"))
_LOG_CHANNEL = {"BACKEND": "pksai.messaging.channels.log.LogChannel", "OPTIONS": {}}
PKSAI_MESSAGING_CHANNELS = (
    json.loads(os.environ["PKSAI_MESSAGING_CHANNELS"])
    if os.environ.get("PKSAI_MESSAGING_CHANNELS")
    else {
        "sms": _LOG_CHANNEL,
        "whatsapp": _LOG_CHANNEL,
        "email": {"BACKEND": "pksai.messaging.channels.email.EmailChannel", "OPTIONS": {}}
        if os.environ.get("EMAIL_HOST")
        else _LOG_CHANNEL,
    }
)
# Where a phone number and an e-mail address go when the caller names no channel
PKSAI_MESSAGING_PHONE_CHANNEL = os.environ.get("PKSAI_MESSAGING_PHONE_CHANNEL", "sms")
PKSAI_MESSAGING_EMAIL_CHANNEL = os.environ.get("PKSAI_MESSAGING_EMAIL_CHANNEL", "email")
PKSAI_MESSAGING_MAX_ATTEMPTS = int(os.environ.get("PKSAI_MESSAGING_MAX_ATTEMPTS", 5))
PKSAI_MESSAGING_BACKOFF_SECONDS = int(os.environ.get("PKSAI_MESSAGING_BACKOFF_SECONDS", 60))
PKSAI_MESSAGING_BODY_DAYS = int(os.environ.get("PKSAI_MESSAGING_BODY_DAYS", 7))
PKSAI_MESSAGING_BATCH = int(os.environ.get("PKSAI_MESSAGING_BATCH", 100))
PKSAI_MESSAGING_INBOUND_HANDLER = os.environ.get(
    "PKSAI_MESSAGING_INBOUND_HANDLER", "pksai.grievances.inbound.inbound_keywords"
)
# The address links in messages start with (a rating link, the provider portal)
PKSAI_SITE_URL = os.environ.get("PKSAI_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Complaints: the public form's rate limit (complainants hear back through messaging) ---
PKSAI_PUBLIC_COMPLAINTS_PER_HOUR = int(os.environ.get("PKSAI_PUBLIC_COMPLAINTS_PER_HOUR", 5))
# Published aggregate tables hide counts below this (and complements); see monitoring/suppression
PKSAI_SUPPRESS_BELOW = int(os.environ.get("PKSAI_SUPPRESS_BELOW", 5))
# Monitoring counts (aggregates only, never records) are kept this many seconds per scope,
# period and grouping, so a city's coordinators share one computation (0: count every time).
# Kept in files under PKSAI_MONITORING_CACHE_LOCATION (default VAR_DIR/cache/monitoring),
# shared by the web server's processes on one machine; "memory" keeps them per process.
PKSAI_MONITORING_CACHE_SECONDS = int(os.environ.get("PKSAI_MONITORING_CACHE_SECONDS", 300))
_monitoring_cache = os.environ.get(
    "PKSAI_MONITORING_CACHE_LOCATION", str(VAR_DIR / "cache" / "monitoring")
)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "monitoring": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "monitoring"}
        if _monitoring_cache == "memory"
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": _monitoring_cache,
        }
    ),
}

# --- Four eyes on decisions that move money (pksai/accounts/four_eyes.py) -----------------
# Off: who ran a selection round (or changed its list) does not approve it, who drafted a
# fund-utilisation plan does not approve it. On only for an office with one program officer.
PKSAI_ALLOW_SELF_APPROVAL = env_bool("PKSAI_ALLOW_SELF_APPROVAL", False)

# --- The field app (/lapangan/, decision 0032) ------------------------------------------
PKSAI_FIELD_WIPE_DAYS = int(os.environ.get("PKSAI_FIELD_WIPE_DAYS", 14))
PKSAI_FIELD_PIN_ATTEMPTS = int(os.environ.get("PKSAI_FIELD_PIN_ATTEMPTS", 5))

# --- Server: request caps, readiness, worker and scheduler (decision 0015) ----------------
# Bodies above PKSAI_MAX_REQUEST_BYTES are refused with 413 before they are read (pksai.wsgi);
# Django keeps non-file form data below DATA_UPLOAD_MAX_MEMORY_SIZE and spools files to disk.
MAX_REQUEST_BYTES = int(os.environ.get("PKSAI_MAX_REQUEST_BYTES", 256 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("PKSAI_MAX_FORM_BYTES", 5 * 1024 * 1024))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
WEB_MAX_REQUEST_LINE = 8190  # bytes (gunicorn limit_request_line)
WEB_MAX_HEADER_FIELDS = 100  # gunicorn limit_request_fields
WEB_MAX_HEADER_FIELD_SIZE = 8190  # gunicorn limit_request_field_size
# /readyz fails when no task worker has reported for this many seconds (0: do not check).
WORKER_HEARTBEAT_SECONDS = int(os.environ.get("PKSAI_WORKER_HEARTBEAT_SECONDS", "15"))
READY_WORKER_STALE_SECONDS = int(os.environ.get("PKSAI_READY_WORKER_STALE_SECONDS", "60"))
SCHEDULER_EVERY_SECONDS = int(os.environ.get("PKSAI_SCHEDULER_EVERY", "300"))
# The scheduler queues the retention run (pksai.retention) this often; 0: only by hand.
RETENTION_EVERY_HOURS = int(os.environ.get("PKSAI_RETENTION_EVERY_HOURS", "24"))
# Outbound webhooks (pksai.webhooks, decision 0035): seconds a receiver has to answer, the
# first retry's wait (doubling per failed try, capped), tries before a delivery has failed,
# and the hosts a subscriber may reach over plain http (tests, a receiver on this machine).
PKSAI_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("PKSAI_WEBHOOK_TIMEOUT_SECONDS", "10"))
PKSAI_WEBHOOK_BACKOFF_SECONDS = float(os.environ.get("PKSAI_WEBHOOK_BACKOFF_SECONDS", "30"))
PKSAI_WEBHOOK_BACKOFF_MAX_SECONDS = float(
    os.environ.get("PKSAI_WEBHOOK_BACKOFF_MAX_SECONDS", str(6 * 3600))
)
PKSAI_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("PKSAI_WEBHOOK_MAX_ATTEMPTS", "8"))
PKSAI_WEBHOOK_ALLOW_HTTP_HOSTS = env_list("PKSAI_WEBHOOK_ALLOW_HTTP_HOSTS", "")
# Days the delivery log (delivered or given-up deliveries, their events) is kept; the daily
# retention job deletes older ones (0: kept for ever).
PKSAI_WEBHOOK_LOG_DAYS = int(os.environ.get("PKSAI_WEBHOOK_LOG_DAYS", "90"))

# --- Primero v2 case exchange (decision 0038) -------------------------------------------
PKSAI_PRIMERO_URL = os.environ.get("PKSAI_PRIMERO_URL", "").rstrip("/")
PKSAI_PRIMERO_USERNAME = os.environ.get("PKSAI_PRIMERO_USERNAME", "")
PKSAI_PRIMERO_PASSWORD = os.environ.get("PKSAI_PRIMERO_PASSWORD", "")
PKSAI_PRIMERO_TIMEOUT_SECONDS = float(os.environ.get("PKSAI_PRIMERO_TIMEOUT_SECONDS", "30"))

# --- DHIS2 aggregate export (decision 0036) ----------------------------------------
PKSAI_DHIS2_URL = os.environ.get("PKSAI_DHIS2_URL", "").rstrip("/")
PKSAI_DHIS2_USERNAME = os.environ.get("PKSAI_DHIS2_USERNAME", "")
PKSAI_DHIS2_PASSWORD = os.environ.get("PKSAI_DHIS2_PASSWORD", "")
PKSAI_DHIS2_TOKEN = os.environ.get("PKSAI_DHIS2_TOKEN", "")
PKSAI_DHIS2_DATA_SET = os.environ.get("PKSAI_DHIS2_DATA_SET", "")  # ADX groups name one
PKSAI_DHIS2_TIMEOUT_SECONDS = float(os.environ.get("PKSAI_DHIS2_TIMEOUT_SECONDS", "30"))

# --- DCI social registry and CRVS APIs (decision 0039) ---------------------------------
PKSAI_DCI_SENDER_ID = os.environ.get("PKSAI_DCI_SENDER_ID", "pksai")
PKSAI_DCI_KEY_ID = os.environ.get("PKSAI_DCI_KEY_ID", "1")
PKSAI_DCI_PRIVATE_KEY_FILE = os.environ.get(
    "PKSAI_DCI_PRIVATE_KEY_FILE", str(VAR_DIR / "dci_private_key.pem")
)
PKSAI_DCI_CRVS_URL = os.environ.get("PKSAI_DCI_CRVS_URL", "").rstrip("/")
PKSAI_DCI_CRVS_RECEIVER_ID = os.environ.get("PKSAI_DCI_CRVS_RECEIVER_ID", "crvs")
PKSAI_DCI_CRVS_PUBLIC_KEY_FILE = os.environ.get("PKSAI_DCI_CRVS_PUBLIC_KEY_FILE", "")
PKSAI_DCI_TIMEOUT_SECONDS = float(os.environ.get("PKSAI_DCI_TIMEOUT_SECONDS", "20"))
PKSAI_DCI_MESSAGES_PER_MINUTE = int(os.environ.get("PKSAI_DCI_MESSAGES_PER_MINUTE", "60"))
PKSAI_DCI_MESSAGE_LOG_DAYS = int(os.environ.get("PKSAI_DCI_MESSAGE_LOG_DAYS", "30"))

# --- API --------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500

# --- Metrics and logs (pksai/ops) -------------------------------------------------------
# /metrics answers only these addresses/networks, or a scraper with the bearer token.
PKSAI_METRICS_ALLOWED = env_list("PKSAI_METRICS_ALLOWED", "127.0.0.1,::1")
PKSAI_METRICS_TOKEN = os.environ.get("PKSAI_METRICS_TOKEN", "")
# LOG_FORMAT=json: one JSON object per line with request and user ids (production); plain
from pksai.ops.logs import logging_config  # noqa: E402

LOGGING = logging_config(
    fmt=os.environ.get("LOG_FORMAT", "plain"), level=os.environ.get("LOG_LEVEL", "INFO")
)
# Record linkage (docs/linkage.md): pairs at or above the upper match probability link
# automatically; pairs between the two wait for a data officer in the review queue.
PKSAI_LINK_UPPER = float(os.environ.get("PKSAI_LINK_UPPER", "0.99"))
PKSAI_LINK_LOWER = float(os.environ.get("PKSAI_LINK_LOWER", "0.80"))
