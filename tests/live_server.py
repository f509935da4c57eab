"""kesu served by gunicorn in a child process, and a small cookie-keeping HTTP client, for tests that attack the
application from outside (several workers, several clients at once), as a real deployment sees it."""
from __future__ import annotations

import contextlib
import functools
import http.client
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(database_url: str, home: Path, **extra: str) -> dict[str, str]:
    """The environment a served kesu reads its configuration from (``KESU_*``), nothing from the test run's."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("KESU_") or name.startswith("KESU_TEST_")}
    env.update({
        "KESU_DATABASE_URL": database_url,
        "KESU_SECRET_KEY": "live-test-secret",
        "KESU_FILE_STORE": str(home / "files"),
        "KESU_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **extra,
    })
    return env


def demo_database(url: str, home: Path, cases: int):
    """Migrate the database at ``url`` and load the demo (accounts with the tests' password); return an app on it."""
    from flask_migrate import upgrade

    from kesu import create_app
    from kesu.audit import acting_as
    from kesu.demo import load_demo
    from kesu.extensions import db
    from kesu.seed import load_defaults
    from tests.conftest import PASSWORD

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "FILE_STORE": str(home / "files"),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        with acting_as(None, "live test set-up"):
            load_defaults(db.session)
            load_demo(db.session, cases=cases, seed=5, password=PASSWORD)
            db.session.commit()
        db.engine.dispose()
    return app


@dataclass
class LiveServer:
    url: str
    log: Path
    process: subprocess.Popen

    def tracebacks(self) -> list[str]:
        text = self.log.read_text(errors="replace")
        return [block for block in text.split("\n\n") if "Traceback" in block]


@contextlib.contextmanager
def gunicorn(env: dict[str, str], home: Path, workers: int = 2) -> Iterator[LiveServer]:
    """``gunicorn --workers N app:app`` on a free loopback port until the block ends."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = home / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--timeout", "60", "--graceful-timeout", "5", "app:app"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", log, process)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_serving(server: LiveServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + server.log.read_text(errors="replace")[-3000:])
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(server.url + "/login", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer:\n" + server.log.read_text(errors="replace")[-3000:])


class _FromAddress(urllib.request.HTTPHandler):
    """Connects from a chosen loopback address (127.0.0.2 …), as a client on another machine would."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def http_open(self, req):
        return self.do_open(functools.partial(http.client.HTTPConnection, source_address=(self.address, 0)), req)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class LiveClient:
    """One browser: keeps its cookies, sends the CSRF token with forms, never follows redirects by itself."""

    def __init__(self, base_url: str, timeout: float = 60.0, source_address: str | None = None) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect]
        if source_address:
            handlers.append(_FromAddress(source_address))
        self.opener = urllib.request.build_opener(*handlers)
        self.csrf_token: str | None = None

    def request(self, method: str, path: str, data: dict | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        path = urllib.parse.quote(path, safe="/?&=%:+,;@!$'()*[]~")
        request = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Reply(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read(), dict(error.headers))

    def get(self, path: str, **kwargs) -> Reply:
        reply = self.request("GET", path, **kwargs)
        match = CSRF_INPUT.search(reply.text) if reply.status == 200 else None
        if match:
            self.csrf_token = match.group(1)
        return reply

    def post_form(self, path: str, data: dict) -> Reply:
        if self.csrf_token is None:
            self.get("/login")
        return self.request("POST", path, {"csrf_token": self.csrf_token, **data})

    def login(self, username: str, password: str) -> Reply:
        self.get("/login")
        return self.post_form("/login", {"username": username, "password": password})
