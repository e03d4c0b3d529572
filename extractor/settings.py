"""Settings for the extraction workbench, all read from the environment.

Two shapes of deployment come out of the same file:

* embedded (no ``REDIS_URL``): SQLite in ``DATA_DIR``, Celery over kombu's filesystem
  transport in ``DATA_DIR/broker``, a file cache. One machine, nothing else to install.
* production: ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (broker, cache, shared
  rate limiter), any number of worker processes.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from extractor.env import env_bool, env_float, env_int, env_list, env_size, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}")
_LOCAL_DATABASE = DATABASE_URL.startswith("sqlite:")


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not (DEBUG or _LOCAL_DATABASE):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # Local use only (DEBUG, or the embedded SQLite database): a random key kept beside
    # the SQLite file, so sessions survive a restart without anyone committing a key.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The Next.js frontend on another origin. Unset, DEBUG allows its dev server only; a
# deployment lists its frontend's origin(s). CORS headers are for the API alone, and
# a download's file name and a 429's wait are readable from the frontend's script.
DEV_FRONTEND_ORIGINS = ["http://localhost:3000"]
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", DEV_FRONTEND_ORIGINS if DEBUG else [])
CORS_URLS_REGEX = r"^/api/"
CORS_EXPOSE_HEADERS = ["Content-Disposition", "Retry-After"]
CORS_ALLOW_CREDENTIALS = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "corsheaders",
    "extractor.llm",
    "projects",
    "schemas",
    "processing",
    "exports",
]

MIDDLEWARE = [
    "extractor.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "extractor.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Inside CORS (its answers carry the CORS headers), outside CommonMiddleware (it
    # also sees what that answers for the API).
    "extractor.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "extractor.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "extractor.urls"
WSGI_APPLICATION = "extractor.wsgi.application"

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
                "extractor.context_processors.product",
            ],
            "libraries": {"workbench": "extractor.templatetags.workbench"},
        },
    },
]

# --- Database -----------------------------------------------------------------------

_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker are separate processes: WAL lets readers go on while
    # one writes, IMMEDIATE transactions avoid "database is locked" upgrades mid-way.
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    _db["TEST"] = {"NAME": env_str("TEST_SQLITE_NAME") or None}
else:
    _db["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL's JIT compiles a query when its estimated cost is high, which the
    # project summary's count subqueries reach: ~40 ms of compiling to save ~1 ms on
    # queries that each touch a few thousand rows. Off for this OLTP workload.
    _db.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    if env_str("TEST_DATABASE_NAME"):
        _db["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, broker, cache -----------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
# Namespaces every key this app writes to Redis (cache, rate limiter), so two
# deployments or CI runs can share one server.
REDIS_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "extractor")
EMBEDDED = not REDIS_URL

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

BROKER_DIR = Path(env_str("BROKER_DIR", str(DATA_DIR / "broker")))
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if EMBEDDED:
    BROKER_DIR.mkdir(parents=True, exist_ok=True)
    (BROKER_DIR / "processed").mkdir(exist_ok=True)
    (BROKER_DIR / "control").mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Redis redelivers an unacked message after the visibility timeout: keep it well
    # above twice the task time limit so a slow task is never run twice by accident.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    # Remote control (celery inspect/control) listens on a Redis PUBSUB connection, and
    # with Celery/kombu 5.7.0 a broker restart first noticed on that connection kills
    # the worker ("Unrecoverable error: AttributeError ... 'hostname'") whenever it
    # holds an unacked message, which with late acks is whenever it runs a job
    # (bench/faults.py). The app never uses remote control.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = env_bool("CELERY_REMOTE_CONTROL", False)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "extractor")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 900, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_SECONDS", 60, minimum=5)

# --- Auth ---------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "projects:list"
LOGOUT_REDIRECT_URL = "login"
SIGNUP_ENABLED = env_bool("SIGNUP_ENABLED", True)
# Wrong passwords, on the log-in page and the token endpoint together: this many for one
# username from one client address, or from one address in all, within the window
# block further attempts from that address (429) until the window has passed. The
# account itself is never locked: see extractor/throttling.py.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900, minimum=1)
# Reverse proxies in front of the app that append to X-Forwarded-For. 0: the client
# address is REMOTE_ADDR and the header is ignored (anyone can write it).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- I18N, static, media ------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "media/"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Hashed, compressed file names need `collectstatic` first: on in production, off in
# DEBUG and in the test suite (which never runs collectstatic).
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# --- Uploads and ingestion limits ---------------------------------------------------

UPLOAD_MAX_FILE_BYTES = env_size("UPLOAD_MAX_FILE_BYTES", 50 * 1024**2)
UPLOAD_MAX_REQUEST_BYTES = env_size("UPLOAD_MAX_REQUEST_BYTES", 200 * 1024**2)
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 200, minimum=1)
INGEST_MAX_PDF_PAGES = env_int("INGEST_MAX_PDF_PAGES", 2000, minimum=1)
INGEST_MAX_UNZIPPED_BYTES = env_size("INGEST_MAX_UNZIPPED_BYTES", 500 * 1024**2)
INGEST_MAX_ZIP_MEMBERS = env_int("INGEST_MAX_ZIP_MEMBERS", 5000, minimum=1)
INGEST_MAX_ROWS = env_int("INGEST_MAX_ROWS", 100_000, minimum=1)
INGEST_MAX_TEXT_CHARS = env_int("INGEST_MAX_TEXT_CHARS", 5_000_000, minimum=1000)
# Uploads: small text, Word and table files of a request are parsed in it, up to this
# many bytes in all; the rest (and every PDF, image and ZIP) is parsed by a worker.
INGEST_INLINE_MAX_BYTES = env_size("INGEST_INLINE_MAX_BYTES", 512 * 1024)
# A worker's parse of one upload stops after this long (the file fails, saying so), and
# an upload whose worker died this many times fails.
INGEST_PARSE_SECONDS = env_int("INGEST_PARSE_SECONDS", 600, minimum=10)
INGEST_MAX_ATTEMPTS = env_int("INGEST_MAX_ATTEMPTS", 3, minimum=1)
# OCR of scanned PDF pages and images (projects.ingest.ocr). The Tesseract program: a
# name on PATH or a path; where it is missing, scans fail with ``ocr_unavailable``.
OCR_TESSERACT_CMD = env_str("OCR_TESSERACT_CMD", "tesseract")
# PDF pages are rendered at this resolution for OCR: Tesseract reads 300 dpi best.
OCR_DPI = env_int("OCR_DPI", 300, minimum=72)
# Pages whose mean word confidence (0-100) is below this are listed for checking.
OCR_LOW_CONFIDENCE = env_float("OCR_LOW_CONFIDENCE", 60.0)
# Tesseract is stopped on a page (an image frame) after this many seconds.
OCR_PAGE_SECONDS = env_int("OCR_PAGE_SECONDS", 120, minimum=1)
# What one project may store (its documents' size_bytes: originals, table files once,
# pasted text); 0 = no limit. 2 GiB holds the design's 1,000 documents at 2 MB each,
# or 40 files at the per-file limit, and bounds 100 projects to 200 GiB of disk.
PROJECT_MAX_BYTES = env_size("PROJECT_MAX_BYTES", 2 * 1024**3)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_size("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024**2)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024**2
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES

# --- LLM gateway --------------------------------------------------------------------

OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
EXTRACTOR_MODEL = env_str("EXTRACTOR_MODEL", "gpt-4o-mini")
# True when the provider is the simulator that ships with the project: every screen
# and export then says that the values are simulated.
LLM_SIMULATED = env_bool("LLM_SIMULATED", False)
LLM_STRUCTURED_OUTPUT = env_str("LLM_STRUCTURED_OUTPUT", "json_schema")  # or json_object
if LLM_STRUCTURED_OUTPUT not in ("json_schema", "json_object"):
    raise ImproperlyConfigured("LLM_STRUCTURED_OUTPUT must be json_schema or json_object")
LLM_REQUESTS_PER_MINUTE = env_int("LLM_REQUESTS_PER_MINUTE", 0)
LLM_TOKENS_PER_MINUTE = env_int("LLM_TOKENS_PER_MINUTE", 0)
LLM_MAX_CONCURRENCY = env_int("LLM_MAX_CONCURRENCY", 0)
# The limits above count requests and tokens per window of this many seconds: 60 for
# real providers (their limits are per minute); tests and benchmarks shorten it.
LLM_RATE_WINDOW_SECONDS = env_float("LLM_RATE_WINDOW_SECONDS", 60.0, minimum=0.1)
# Each admitted request holds its place for the window plus this margin: the provider
# counts requests when they arrive, a little after we send them.
LLM_RATE_MARGIN_SECONDS = env_float("LLM_RATE_MARGIN_SECONDS", 0.5)
# Space requests evenly (one every window/limit seconds) rather than in bursts: OpenAI
# enforces a per-minute limit over shorter periods too.
LLM_RATE_SMOOTH = env_bool("LLM_RATE_SMOOTH", True)
# Name of the output limit in requests: auto = max_completion_tokens for OpenAI,
# max_tokens for other servers (Ollama, vLLM, llama.cpp know it best).
LLM_MAX_TOKENS_PARAM = env_str("LLM_MAX_TOKENS_PARAM", "auto")
if LLM_MAX_TOKENS_PARAM not in ("auto", "max_completion_tokens", "max_tokens"):
    raise ImproperlyConfigured(
        "LLM_MAX_TOKENS_PARAM must be auto, max_completion_tokens or max_tokens"
    )
LLM_MAX_ATTEMPTS = env_int("LLM_MAX_ATTEMPTS", 6, minimum=1)
LLM_REQUEST_TIMEOUT = env_float("LLM_REQUEST_TIMEOUT", 120.0, minimum=1.0)
LLM_TOTAL_TIMEOUT = env_float("LLM_TOTAL_TIMEOUT", 600.0, minimum=1.0)
LLM_BACKOFF_BASE = env_float("LLM_BACKOFF_BASE", 1.0)
LLM_BACKOFF_MAX = env_float("LLM_BACKOFF_MAX", 60.0)
LLM_MAX_OUTPUT_TOKENS = env_int("LLM_MAX_OUTPUT_TOKENS", 4096, minimum=16)
LLM_CACHE_ENABLED = env_bool("LLM_CACHE_ENABLED", True)

# USD per million tokens; "context" is the model's input window in tokens. "batch_*":
# the Batch API's prices (OpenAI: half of each standard price); a model without them
# is priced at LLM_BATCH_PRICE_FACTOR of its standard prices in batch mode.
LLM_PRICING = {
    "gpt-4o-mini": {
        "input": 0.15, "cached_input": 0.075, "output": 0.60, "context": 128_000,
        "batch_input": 0.075, "batch_cached_input": 0.0375, "batch_output": 0.30,
    },
    "gpt-4o": {
        "input": 2.50, "cached_input": 1.25, "output": 10.00, "context": 128_000,
        "batch_input": 1.25, "batch_cached_input": 0.625, "batch_output": 5.00,
    },
    "gpt-4.1": {
        "input": 2.00, "cached_input": 0.50, "output": 8.00, "context": 1_000_000,
        "batch_input": 1.00, "batch_cached_input": 0.25, "batch_output": 4.00,
    },
    "gpt-4.1-mini": {
        "input": 0.40, "cached_input": 0.10, "output": 1.60, "context": 1_000_000,
        "batch_input": 0.20, "batch_cached_input": 0.05, "batch_output": 0.80,
    },
    "gpt-4.1-nano": {
        "input": 0.10, "cached_input": 0.025, "output": 0.40, "context": 1_000_000,
        "batch_input": 0.05, "batch_cached_input": 0.0125, "batch_output": 0.20,
    },
}  # fmt: skip
# Used for models missing from the table (a local Ollama model costs nothing).
LLM_DEFAULT_PRICING = {
    "input": env_float("LLM_PRICE_INPUT", 0.0),
    "cached_input": env_float("LLM_PRICE_CACHED_INPUT", 0.0),
    "output": env_float("LLM_PRICE_OUTPUT", 0.0),
    "context": env_int("LLM_CONTEXT_TOKENS", 32_000, minimum=1024),
}
LLM_BATCH_PRICE_FACTOR = env_float("LLM_BATCH_PRICE_FACTOR", 0.5, minimum=0.0)

# --- Schemas ------------------------------------------------------------------------

SCHEMA_MAX_VARIABLES = env_int("SCHEMA_MAX_VARIABLES", 50, minimum=1)
SUGGEST_MAX_DOCUMENTS = env_int("SUGGEST_MAX_DOCUMENTS", 3, minimum=1)
SUGGEST_MAX_INPUT_TOKENS = env_int("SUGGEST_MAX_INPUT_TOKENS", 6000, minimum=500)
ESTIMATE_OUTPUT_TOKENS_PER_VARIABLE = env_int("ESTIMATE_OUTPUT_TOKENS_PER_VARIABLE", 60, minimum=1)

# --- Processing ---------------------------------------------------------------------

# A running item's lease is renewed while its runner lives; a dead runner's items come
# back after at most this long.
PROCESSING_LEASE_SECONDS = env_int("PROCESSING_LEASE_SECONDS", 90, minimum=3)
PROCESSING_MAX_ATTEMPTS = env_int("PROCESSING_MAX_ATTEMPTS", 3, minimum=1)
PROCESSING_MAX_VARIABLES_PER_CALL = env_int("PROCESSING_MAX_VARIABLES_PER_CALL", 25, minimum=1)
PROCESSING_CHUNK_OVERLAP_TOKENS = env_int("PROCESSING_CHUNK_OVERLAP_TOKENS", 200)
# Longest document piece sent in one call, whatever the model's window: very long
# prompts are slow and models attend less well to their middle.
PROCESSING_MAX_CHUNK_TOKENS = env_int("PROCESSING_MAX_CHUNK_TOKENS", 60_000, minimum=1000)
PROCESSING_SAMPLE_SIZE = env_int("PROCESSING_SAMPLE_SIZE", 20, minimum=1)
# Runner tasks started per job; each processes documents on its own threads (LLM calls
# wait on the network, so threads, not processes, give the concurrency) and stops after
# PROCESSING_TASK_SECONDS, queueing its successor: tasks stay short, redelivery cheap.
PROCESSING_PARALLEL_TASKS = env_int("PROCESSING_PARALLEL_TASKS", 4, minimum=1)
PROCESSING_THREADS_PER_TASK = env_int("PROCESSING_THREADS_PER_TASK", 8, minimum=1)
PROCESSING_TASK_SECONDS = env_int("PROCESSING_TASK_SECONDS", 120, minimum=5)

# Batch mode (processing/batches.py): requests go to the provider's Batch API in files
# of at most these many requests and bytes (OpenAI's limits: 50,000 and 200 MB), beat
# asks after open batches every BATCH_POLL_SECONDS, and requests a batch did not
# answer go through the live path ("live") or into a new batch ("batch").
BATCH_ENABLED = env_bool("BATCH_ENABLED", True)
BATCH_POLL_SECONDS = env_int("BATCH_POLL_SECONDS", 60, minimum=1)
BATCH_MAX_REQUESTS_PER_FILE = env_int("BATCH_MAX_REQUESTS_PER_FILE", 50_000, minimum=1)
BATCH_MAX_BYTES_PER_FILE = env_size("BATCH_MAX_BYTES_PER_FILE", 200 * 1024**2)
BATCH_FALLBACK = env_str("BATCH_FALLBACK", "live")
if BATCH_FALLBACK not in ("live", "batch"):
    raise ImproperlyConfigured(f"BATCH_FALLBACK must be live or batch, not {BATCH_FALLBACK!r}")

# --- Exports ------------------------------------------------------------------------

# Exports up to this many values are written during the request; larger ones by a task.
EXPORT_INLINE_MAX_CELLS = env_int("EXPORT_INLINE_MAX_CELLS", 20_000)

# --- REST API -----------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "extractor.authentication.SessionAuthentication",
    ],
    # JSON only, with a bound on nesting (extractor/parsers.py); the API answers JSON
    # only (the docs are at /api/docs/), so no error is ever an HTML page.
    "DEFAULT_PARSER_CLASSES": [
        "extractor.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "extractor.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "extractor.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "extractor.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "upload": env_str("THROTTLE_UPLOAD", "120/hour"),
        "suggest": env_str("THROTTLE_SUGGEST", "60/hour"),
        "job": env_str("THROTTLE_JOB", "120/hour"),
        "export": env_str("THROTTLE_EXPORT", "120/hour"),
        "signup": env_str("THROTTLE_SIGNUP", "20/hour"),
    },
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Extraction workbench API",
    "DESCRIPTION": "Projects, documents, schemas, processing jobs, results and exports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Document and job-item statuses share a field name and differ in values: give the
    # document's enum a stable name instead of a hash suffix.
    "ENUM_NAME_OVERRIDES": {
        "DocumentStatusEnum": "projects.models.Document.Status",
        "MemberRoleEnum": "projects.models.ProjectMember.Role",
        "ProjectRoleEnum": "projects.access.PROJECT_ROLES",
        "RunModeEnum": "schemas.estimate.MODES",
        "ExtractionStatusEnum": "processing.models.Extraction.Status",
        "SourceTypeEnum": "projects.models.Document.SourceType",
        "UploadSourceTypeEnum": "projects.api.UPLOAD_SOURCE_TYPES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # Every error response gets the API's error body (and 429 its Retry-After).
        "extractor.openapi.add_error_responses",
    ],
}

# --- Security -----------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads nothing from it; the token is in hx-headers
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Sent with every response (extractor.middleware), the API docs included. No page runs
# inline script or style: htmx and app.js come from our static files, htmx's config is
# a <meta>, Swagger UI's init script and styles are files. data: images are the icons
# of Pico CSS and Swagger UI.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)
# Health probes are answered before the HTTPS redirect and the host check: see
# extractor.middleware.HealthProbeMiddleware.
if env_bool("BEHIND_TLS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging ------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        "openai": {"level": "WARNING"},
        # The HTML parser's extractor reports ordinary pages as errors ("not valid
        # HTML" for a fragment, "discarding data" for a page without an article);
        # projects.ingest.html falls back on its own and logs what matters.
        "trafilatura": {"level": "CRITICAL"},
        "htmldate": {"level": "CRITICAL"},
    },
}
