"""Settings for the cloud platform, read from the environment or a `.env` file.

Embedded defaults (SQLite, in-memory channel layer, local-memory cache) let the
platform start with nothing configured; DATABASE_URL and REDIS_URL switch to
PostgreSQL and Redis. RabbitMQ is always real: it is the box contract.
"""
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")


def _persistent_secret_key() -> str:
    """A key generated once per installation, so sessions survive restarts."""
    path = VAR_DIR / "secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _persistent_secret_key()
DEBUG = env.bool("DEBUG", default=False)
# Boxes reach the platform by whatever address the site gives it, often a bare IP.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Its index expressions (OpClass: the events search's trigram indexes); inert on SQLite.
    "django.contrib.postgres",
    "rest_framework",
    # The API's tokens (accounts.ApiToken): several named ones per operator, stored hashed.
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "accounts",
    # django-auditlog records model changes (audit/): "audit" holds its entry model.
    "auditlog",
    "audit",
    "devices",
    "users",
    "distribution",
    "events",
    "attendance",
    "faces",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The console's language: the one chosen in its menu (a cookie), else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The request's operator and address for the audit trail (audit/context.py).
    "audit.context.AuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

# A box's call (/box/...; cloudplatform/box_calls.py): no cookie, no page, so none of the console's
# sessions, CSRF, messages, page policy or lock-outs; its error messages still follow Accept-Language.
BOX_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cloudplatform.box_calls.BoxResponseHeaders",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "audit.context.AuditMiddleware",
]

ROOT_URLCONF = "cloudplatform.urls"
ASGI_APPLICATION = "cloudplatform.asgi.application"
WSGI_APPLICATION = "cloudplatform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "cloudplatform.console.navigation",
                "accounts.context_processors.role",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Threads per web process serving HTTP (cloudplatform/asgi.py), each keeping its connection.
WEB_THREADS = env.int("WEB_THREADS", default=10)
# Requests a kept-alive connection answers before it is closed (cloudplatform/wsgi_threads.py;
# Apache's MaxKeepAliveRequests, nginx's keepalive_requests); 0: no limit (an idle one still
# closes after uvicorn's --timeout-keep-alive).
WEB_KEEPALIVE_REQUESTS = env.int("WEB_KEEPALIVE_REQUESTS", default=100)
# Responses say where their time went on the platform (Server-Timing; cloudplatform/wsgi_threads.py).
SERVER_TIMING = env.bool("SERVER_TIMING", default=False)

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's, with every process's write transactions taken in turn (cloudplatform/db/sqlite3).
    DATABASES["default"]["ENGINE"] = "cloudplatform.db.sqlite3"
    # A web thread keeps its connection between requests (opening one and its PRAGMAs cost a
    # box's small call more than its query did).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=300)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Web, worker and consumers share one file: wait for locks instead of failing,
    # and let readers work while a writer commits.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The events' time index carries box and type for PostgreSQL's index-only scans; SQLite
    # keeps the index without them, which is all it can use, and says so on every command.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    # A pool per process bounds the connections (seen: 300 boxes logging in at once, a
    # thread and a connection each, until PostgreSQL refused clients): DB_POOL_MAX_SIZE per
    # web, worker or consumer process; a web process's WEB_THREADS take one each at most, its
    # live-events thread (events/live.py) one more, its grouped-writes thread (if on) one more.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=max(10, WEB_THREADS + 2)),
        "timeout": env.int("DB_POOL_TIMEOUT", default=30),
    }
    # PostgreSQL's JIT compiles any query its planner costs high, which a table of millions of
    # events makes most of them: 0.1 to 5 s of compiling for queries that run in milliseconds.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Group commit (cloudplatform/grouped_writes.py): a process's small write transactions (box
# batches, status reports) run together, in one transaction on one thread. On by default on
# SQLite, which takes one writer at a time: a fleet's requests slept in its busy handler.
GROUPED_WRITES = env.bool("GROUPED_WRITES", default=DATABASES["default"]["ENGINE"].endswith("sqlite3"))
GROUPED_WRITES_MAX = env.int("GROUPED_WRITES_MAX", default=64)  # requests in one transaction at most

# Seconds between a process's live messages of stored events (events/live.py): the batches
# stored meanwhile go out together; 0 sends each batch as it is stored.
LIVE_EVENTS_INTERVAL = env.float("LIVE_EVENTS_INTERVAL", default=0.5)

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Console logins are throttled per account and per address (django-axes): after
# LOGIN_FAILURE_LIMIT wrong passwords for one username, or from one address, further
# attempts are refused for LOGIN_LOCKOUT_MINUTES, even with the right password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The audit trail (audit/): django-auditlog writes its entries into audit.AuditEntry, changes as
# JSON with related objects by name; secrets are masked whole (audit/masking.py).
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_USE_FK_STRING_REPRESENTATION = True
AUDITLOG_MASK_CALLABLE = "audit.masking.mask_secret"
# An invited or reset operator's one-time link to choose a password (accounts: Django's password-reset
# token) works this many days: sites are often offline, and the link is handed over by hand.
PASSWORD_RESET_TIMEOUT = env.int("SET_PASSWORD_LINK_DAYS", default=7) * 24 * 3600
# A mail server (e.g. smtp+tls://user:password@mail.example.org:587): the link is then also e-mailed to
# an operator who has an address. Without one the console shows it, to be handed over by hand.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="aibox-platform@localhost")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console-home"
LOGOUT_REDIRECT_URL = "login"

# English is the default (boxes send no Accept-Language, so their error messages stay English);
# a browser asking for Chinese gets the console in Simplified Chinese (locale/, built by `make setup`).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "console_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end assets come from npm at set-up (package.json) and are served locally.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Events and their pictures older than this many days are deleted (hourly task); 0 keeps them forever.
EVENT_RETENTION_DAYS = env.int("EVENT_RETENTION_DAYS", default=90)
# Retention deletes this many events per transaction: each batch locks only its own rows, briefly.
EVENT_RETENTION_BATCH = env.int("EVENT_RETENTION_BATCH", default=2000)
# Audit entries older than this many days are deleted (hourly task, EVENT_RETENTION_BATCH at a
# time); 0, the default, keeps the trail forever: how long evidence is kept is the site's policy.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: a call without credentials is then told to bring a token (401, WWW-Authenticate).
        "cloudplatform.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Operators by role (accounts.permissions): any reads, viewers write nothing; what each sees
    # is narrowed by the views' get_queryset. The /box/ endpoints set their own.
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.OperatorPermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# Operators' API tokens (knox, our model with a name and a last-used time): no expiry unless the
# operator chooses one when making the token.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
REST_KNOX = {"TOKEN_TTL": None, "AUTH_HEADER_PREFIX": "Token"}
# knox's and django-auditlog's own migrations create their default tables (tokens, log entries) even
# when the model is swapped for ours (accounts.ApiToken, audit.AuditEntry): unused tables whose foreign
# keys to the users stop PostgreSQL from emptying them (every transactional test's flush).
MIGRATION_MODULES = {"knox": None, "auditlog": None}
# API description (/api/schema/, /api/docs/): administrators only unless opened on purpose.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)
SPECTACULAR_SETTINGS = {
    "TITLE": "AIBOX cloud platform API",
    "DESCRIPTION": "Administration API of the face-recognition box platform, and the box-facing endpoints.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.AllowAny" if API_DOCS_PUBLIC else "accounts.permissions.OperatorPermission"
    ],
}

# --- RabbitMQ ---------------------------------------------------------------
BROKER_URL = env.str("BROKER_URL", default="amqp://guest:guest@localhost:5672/")
_broker = urlsplit(BROKER_URL)
# The management HTTP API provisions per-box users, permissions and queues.
_broker_credentials = f"{_broker.username or 'guest'}:{_broker.password or 'guest'}"
RABBITMQ_MANAGEMENT_URL = env.str(
    "RABBITMQ_MANAGEMENT_URL", default=f"http://{_broker_credentials}@{_broker.hostname or 'localhost'}:15672"
)
# Where boxes publish results and get commands; separate from Celery's vhost.
BOX_VHOST = env.str("BOX_VHOST", default="aibox")
BOX_UPLOAD_VHOST = env.str("BOX_UPLOAD_VHOST", default="aibox-upload")
BOX_UPLOAD_QUEUE = env.str("BOX_UPLOAD_QUEUE", default="aibox.results")
BOX_FIQA_UPLOAD_QUEUE = env.str("BOX_FIQA_UPLOAD_QUEUE", default="aibox.fiqa.results")
# "quorum" for a RabbitMQ cluster (docs/deployment.md); "classic" on one node.
BOX_QUEUE_TYPE = env.str("BOX_QUEUE_TYPE", default="classic")

ADMIN_PASSWORD = env.str("ADMIN_PASSWORD", default="")
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
# What boxes are told to connect to; "localhost" means nothing to a box elsewhere.
BOX_BROKER_HOST = env.str(
    "BOX_BROKER_HOST",
    default=(urlsplit(PUBLIC_BASE_URL).hostname if PUBLIC_BASE_URL else None) or _broker.hostname or "localhost",
)
BOX_BROKER_PORT = env.int("BOX_BROKER_PORT", default=_broker.port or 5672)

BOX_RECORD_UPLOAD_PERIOD = env.int("BOX_RECORD_UPLOAD_PERIOD", default=5)
BOX_DEVICE_MONITOR_PERIOD = env.int("BOX_DEVICE_MONITOR_PERIOD", default=20)
BOX_LOGIN_RATE_PER_CODE = env.str("BOX_LOGIN_RATE_PER_CODE", default="20/min")
BOX_LOGIN_RATE_PER_ADDRESS = env.str("BOX_LOGIN_RATE_PER_ADDRESS", default="300/min")

CELERY_BROKER_URL = BROKER_URL
# "quorum" on a RabbitMQ cluster: Celery's own queues are then replicated too, and the worker
# survives the loss of the node that held them (classic queues: it exits, bench/cluster_drill.py).
CELERY_TASK_DEFAULT_QUEUE_TYPE = env.str("CELERY_QUEUE_TYPE", default="classic")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "reconcile-broker-identities": {
        "task": "devices.tasks.reconcile_broker_identities",
        "schedule": env.int("BROKER_RECONCILE_PERIOD", default=300),
    },
}

# --- Production security (docs/deployment.md) ---------------------------------------
# Off by default so `make run` works over plain HTTP on a LAN; the documented production
# configuration turns them on and passes `manage.py check --deploy` without a warning.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Boxes call /box/ with the URLs they were given; a redirect would turn their POSTs into GETs.
SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[r"^box/"])
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The console's pages load scripts, styles and fonts only from the platform itself
# (django-csp): no inline script or style runs, so an injected one cannot either.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"pika": {"level": "WARNING"}},
}

# --- People and their distribution to boxes ----------------------------------------
# A box's history batch is up to 100 events with two base64 pictures each (large "frame"
# pictures included): well above Django's 2.5 MB default.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("REQUEST_MAX_BYTES", default=64 * 1024 * 1024)
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
# Console uploads are counted while they stream in (cloudplatform/uploads.py); a file field
# not named here is a photo (PHOTO_MAX_BYTES).
FILE_UPLOAD_HANDLERS = ["cloudplatform.uploads.BoundedUploadHandler"]
UPLOAD_LIMITS = {
    "csv_file": env.int("IMPORT_CSV_MAX_BYTES", default=20 * 1024 * 1024),
    "photos": env.int("IMPORT_ZIP_MAX_BYTES", default=2 * 1024 * 1024 * 1024),
}
# Largest photo inside an import's zip, and the most a zip entry may expand (zip bombs).
IMPORT_ZIP_MAX_RATIO = env.int("IMPORT_ZIP_MAX_RATIO", default=100)
# Box event uploads are read as a stream (events/bodies.py): a batch of 100 events with
# multi-MB frames fits; each picture is decoded to its file on its own.
EVENT_REQUEST_MAX_BYTES = env.int("EVENT_REQUEST_MAX_BYTES", default=512 * 1024 * 1024)
EVENT_PICTURE_MAX_BYTES = env.int("EVENT_PICTURE_MAX_BYTES", default=32 * 1024 * 1024)
# Photos and event pictures: larger JPEGs are reduced while decoding, other formats refused.
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=4096 * 4096)
PHOTO_MIN_SIDE = env.int("PHOTO_MIN_SIDE", default=64)
# Ids per add_users_plus / delete_users message (upstream: keep messages light).
COMMAND_BATCH_SIZE = env.int("COMMAND_BATCH_SIZE", default=100)
# A published command without a result after this long is re-sent, then marked expired.
COMMAND_RESULT_TIMEOUT = env.int("COMMAND_RESULT_TIMEOUT", default=600)
COMMAND_MAX_ATTEMPTS = env.int("COMMAND_MAX_ATTEMPTS", default=3)
# Person details carry the photo inline (reg_photo, base64) instead of a URL to fetch.
BOX_INLINE_PHOTOS = env.bool("BOX_INLINE_PHOTOS", default=False)
CELERY_BEAT_SCHEDULE.update(
    {
        # distribution/tasks.py, under the names they had before the app split (see there).
        "requeue-stuck-commands": {"task": "users.tasks.requeue_stuck_commands", "schedule": 30},
        "expire-commands": {"task": "users.tasks.expire_commands", "schedule": 60},
        "mark-silent-boxes-offline": {"task": "devices.tasks.mark_silent_boxes_offline",
                                      "schedule": env.int("OFFLINE_CHECK_PERIOD", default=5)},
        "purge-old-events": {"task": "events.tasks.purge_old_events", "schedule": 3600},
        "purge-old-audit-entries": {"task": "audit.tasks.purge_old_audit_entries", "schedule": 3600},
    }
)

# --- Face embeddings and search (faces/) --------------------------------------------
# Embedding runs on a queue of its own, consumed by the Procfile's `faces` worker.
CELERY_TASK_ROUTES = {"faces.tasks.*": {"queue": "faces"}}
# Threads of the platform's face engine per process (the faces worker runs one task at a time).
FACE_ENGINE_THREADS = env.int("FACE_ENGINE_THREADS", default=1)
CELERY_BEAT_SCHEDULE.update(
    {
        "embed-missing-faces": {"task": "faces.tasks.embed_missing", "schedule": 300},
        "save-face-index": {"task": "faces.tasks.save_face_index", "schedule": 600},
        "cluster-missing-strangers": {"task": "faces.tasks.cluster_missing", "schedule": 300},
        "forget-purged-sightings": {"task": "faces.tasks.forget_purged_sightings", "schedule": 3600},
    }
)
# Strangers grouped by face (faces/clustering.py): an event joins the nearest cluster whose
# centroid scores at least this (1 - euclidean distance, as a box's match); measured on the
# shared photos, docs/strangers.md.
STRANGER_CLUSTER_MIN_SCORE = env.float("STRANGER_CLUSTER_MIN_SCORE", default=0.42)
