"""Run one scenario in a fresh process and print how much its peak memory (VmHWM) grew.

Used by the security tests: a limit on memory is proven by measuring the process that does
the work, not by reading the code. Usage: python peak_memory.py SCENARIO VAR_DIR [ARGS...]
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def setup(var_dir: str, database: bool = True) -> None:
    os.environ.update({"VAR_DIR": var_dir, "DJANGO_SETTINGS_MODULE": "cloudplatform.settings",
                       "LOG_LEVEL": "ERROR", "CELERY_TASK_ALWAYS_EAGER": "1"})
    os.environ.pop("DATABASE_URL", None)  # a database of its own, in VAR_DIR
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    if database:
        call_command("migrate", verbosity=0)


def import_zip(csv_path: str, zip_path: str) -> dict:
    from users.importer import run_import
    from users.models import ImportJob

    job = run_import(ImportJob.objects.create(csv_path=csv_path, photos_path=zip_path))
    return {"state": job.state, "report": job.report}


def check_photo(path: str) -> dict:
    """The platform's photo check (console, API and import all use it) on the file's bytes."""
    from aibox_contract.codes import ContractCodeError
    from users.photos import check_photo as check

    data = Path(path).read_bytes()
    before = peak_kib()
    try:
        check(data)
        outcome = {"accepted": True}
    except ContractCodeError as refused:
        outcome = {"accepted": False, "code": refused.code, "message": refused.message}
    return {**outcome, "grew_kib": peak_kib() - before}


def post_file(url: str, field: str, size: int, body_path: str) -> dict:
    """POST a multipart body of `size` bytes streamed from disk, as a logged-in administrator,
    through the WSGI handler of this process (the web process's code path)."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.wsgi import get_wsgi_application
    from django.middleware.csrf import _get_new_csrf_string

    user = get_user_model().objects.create_superuser("admin", "", "x-Admin-pw-1")
    session = SessionStore()
    session.update({"_auth_user_id": str(user.pk), "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                    "_auth_user_hash": user.get_session_auth_hash()})
    session.create()
    csrf = _get_new_csrf_string()
    boundary = "----bounded"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n{csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nBig\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"person_type\"\r\n\r\n1\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"big.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    with open(body_path, "wb") as body:
        body.write(head)
        block = os.urandom(1024 * 1024)
        for _ in range(size // len(block)):
            body.write(block)
        body.write(tail)
    application = get_wsgi_application()
    status = []
    warm_up = {"REQUEST_METHOD": "GET", "PATH_INFO": url, "SERVER_NAME": "localhost", "SERVER_PORT": "80",
               "wsgi.input": open(os.devnull, "rb"), "wsgi.url_scheme": "http", "HTTP_HOST": "localhost",
               "HTTP_COOKIE": f"sessionid={session.session_key}"}
    b"".join(application(warm_up, lambda code, headers: None))  # modules and templates loaded first
    before = peak_kib()
    with open(body_path, "rb") as stream:
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": url, "SERVER_NAME": "localhost", "SERVER_PORT": "80",
                   "wsgi.input": stream, "wsgi.url_scheme": "http", "CONTENT_LENGTH": str(os.path.getsize(body_path)),
                   "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}", "REMOTE_ADDR": "127.0.0.1",
                   "HTTP_COOKIE": f"sessionid={session.session_key}; csrftoken={csrf}", "HTTP_HOST": "localhost"}
        response = application(environ, lambda code, headers: status.append(code))
        text = b"".join(response).decode(errors="replace")
    return {"status": status[0], "body": text, "grew_kib": peak_kib() - before}


if __name__ == "__main__":
    scenario, var_dir, *args = sys.argv[1:]
    setup(var_dir, database=scenario != "check_photo")  # a photo check reads no table
    start = peak_kib()
    scenarios = {"import_zip": import_zip, "check_photo": check_photo,
                 "post_file": lambda url, field, size, body: post_file(url, field, int(size), body)}
    outcome = scenarios[scenario](*args)
    outcome.setdefault("grew_kib", peak_kib() - start)
    print(json.dumps(outcome))
