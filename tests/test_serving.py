"""Production serving: /healthz, the reverse proxy's headers, request ids, gunicorn's settings from the environment."""
from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from flask import request

from kesu import create_app
from kesu.serving import REQUEST_ID_HEADER, RequestIdFilter

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _bare_app(tmp_path, **config):
    """An app of its own (the shared one cannot change how it is wrapped), with a route echoing what it sees."""
    application = create_app({"TESTING": True, "SECRET_KEY": "test", "FILE_STORE": str(tmp_path / "files"),
                              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bare.sqlite3'}", **config})

    @application.route("/_seen")
    def seen():
        return {"address": request.remote_addr, "scheme": request.scheme, "host": request.host}

    return application


def test_healthz_answers_ok_naming_each_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "file_store": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_healthz_fails_when_redis_is_down(app, client):
    app.config["REDIS_URL"] = DEAD_REDIS
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["checks"]["redis"].startswith("error: ")
    assert response.json["checks"]["database"] == "ok"
    assert "127.0.0.1:1" not in response.get_data(as_text=True)


@pytest.mark.skipif(not os.environ.get("KESU_TEST_REDIS_URL"), reason="KESU_TEST_REDIS_URL is not set")
def test_healthz_checks_a_live_redis(app, client):
    app.config["REDIS_URL"] = os.environ["KESU_TEST_REDIS_URL"]
    assert client.get("/healthz").json["checks"]["redis"] == "ok"


def test_healthz_fails_when_the_file_store_cannot_be_written(app, client, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    app.config["FILE_STORE"] = str(blocker)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["file_store"].startswith("error: ")


def test_healthz_fails_when_the_database_does_not_answer(tmp_path):
    application = _bare_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'no.sqlite3'}")
    response = application.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("error: ")


def test_forwarded_headers_are_ignored_without_a_declared_proxy(tmp_path):
    client = _bare_app(tmp_path).test_client()
    seen = client.get("/_seen", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}).json
    assert seen["address"] == "127.0.0.1"
    assert seen["scheme"] == "http"


def test_forwarded_headers_are_believed_behind_one_proxy(tmp_path):
    client = _bare_app(tmp_path, PROXY_HOPS=1).test_client()
    seen = client.get("/_seen", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9",
                                         "X-Forwarded-Proto": "https", "X-Forwarded-Host": "kesu.example.cn"}).json
    assert seen == {"address": "203.0.113.9", "scheme": "https", "host": "kesu.example.cn"}


def test_every_response_carries_a_request_id(client):
    first = client.get("/login").headers[REQUEST_ID_HEADER]
    second = client.get("/login").headers[REQUEST_ID_HEADER]
    assert len(first) == 32 and first != second


def test_a_sensible_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(client):
    assert client.get("/healthz", headers={REQUEST_ID_HEADER: "req-42.a:b"}).headers[REQUEST_ID_HEADER] == "req-42.a:b"
    for strange in ("x <script>alert(1)</script>", "x" * 101, "id with spaces"):
        replaced = client.get("/healthz", headers={REQUEST_ID_HEADER: strange}).headers[REQUEST_ID_HEADER]
        assert len(replaced) == 32 and replaced.isalnum()


def test_log_lines_of_a_request_carry_its_id(app):
    record = logging.LogRecord("kesu.test", logging.WARNING, __file__, 1, "something happened", None, None)
    with app.test_request_context("/", headers={REQUEST_ID_HEADER: "trace-7"}):
        RequestIdFilter().filter(record)
    assert record.request_id == "trace-7"
    outside = logging.LogRecord("kesu.test", logging.WARNING, __file__, 1, "at start-up", None, None)
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"


def _gunicorn_settings(**environ) -> dict:
    script = ("import runpy, json; s = runpy.run_path('gunicorn.conf.py'); "
              "print(json.dumps({k: s[k] for k in ('bind', 'workers', 'threads', 'timeout', 'accesslog')}))")
    env = {key: value for key, value in os.environ.items() if not key.startswith("KESU_")} | environ
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
    return {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def test_gunicorn_takes_its_settings_from_the_kesu_variables():
    import json

    done = _gunicorn_settings(KESU_BIND="0.0.0.0:8000,[::]:8000", KESU_WORKERS="4", KESU_TIMEOUT="120",
                              KESU_ACCESS_LOG="off")
    assert done["returncode"] == 0, done["stderr"]
    assert json.loads(done["stdout"]) == {"bind": ["0.0.0.0:8000", "[::]:8000"], "workers": 4, "threads": 1,
                                          "timeout": 120, "accesslog": None}


def test_gunicorn_refuses_to_start_on_a_bad_setting_naming_it():
    done = _gunicorn_settings(KESU_WORKERS="many")
    assert done["returncode"] != 0
    assert "KESU_WORKERS" in done["stderr"]
