"""Test settings: the real services, in vhosts of their own so a running platform is left alone."""
import os

os.environ.setdefault("BOX_VHOST", "aibox-test")
os.environ.setdefault("BOX_UPLOAD_VHOST", "aibox-test-upload")
# BROKER_URL names a vhost of its own (Celery's), as a site's often does: box traffic must
# still go to BOX_VHOST / BOX_UPLOAD_VHOST (issue 11 item 1). The `broker_admin` session
# fixture creates it, as `manage.py setup_broker` does.
os.environ.setdefault("BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/aibox-test-celery")
os.environ.setdefault("VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from cloudplatform.settings import *  # noqa: F403

MEDIA_ROOT = VAR_DIR / "media"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
# WhiteNoise finds a static file when it is asked for, not by listing all of STATIC_ROOT (~1 300
# files) when the middleware is built: tests build it for every test client, and the listing was
# a fifth of a console test's time (cProfile). Headers, caching and the manifest are the same.
WHITENOISE_AUTOREFRESH = True
CELERY_TASK_ALWAYS_EAGER = True  # tasks run inline, still publishing to the real broker
CELERY_TASK_EAGER_PROPAGATES = True
# In-process tests read a batch's live message right after intake, inside a transaction that
# the gathering thread's own connection would not see; the platforms the processes-apart tests
# start (tests/contract/platform_processes.py) gather, as a site's does.
LIVE_EVENTS_INTERVAL = 0

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, as in production (WAL, busy timeout): threads of the in-process servers then
    # wait for each other's writes instead of failing on shared-cache table locks.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
