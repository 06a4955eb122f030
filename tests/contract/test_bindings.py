"""Binding contract: what the Functions host reads from function_app, and the handlers."""

import json
import re
from pathlib import Path

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

import function_app
from devtools.runner import app_functions
from shared.config import SETTING_NAMES, STORAGE_CONNECTION

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_SETTINGS = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]


def _bindings():
    return {
        name: {b.type: _plain(b.get_dict_repr()) for b in function.get_bindings()}
        for name, function in app_functions(function_app.app).items()
    }


def _plain(value):
    """Binding dicts hold enums; compare them as the host reads them, as JSON strings."""
    return json.loads(json.dumps(value, default=lambda enum: enum.value))


def test_the_four_functions():
    assert set(_bindings()) == {"accept_dropped_file", "poll_jobs", "job_status", "list_jobs"}


def test_blob_trigger_uses_event_grid_on_the_input_container():
    trigger = _bindings()["accept_dropped_file"]["blobTrigger"]
    assert trigger["path"] == "%INPUT_CONTAINER%/{name}"
    assert trigger["source"] == "EventGrid"
    assert trigger["connection"] == STORAGE_CONNECTION


def test_timer_runs_on_the_configured_schedule():
    trigger = _bindings()["poll_jobs"]["timerTrigger"]
    assert trigger["schedule"] == "%POLL_SCHEDULE%"
    assert trigger.get("runOnStartup") is False


@pytest.mark.parametrize(("name", "route"), [("job_status", "jobs/{*name}"), ("list_jobs", "jobs")])
def test_http_functions_need_a_function_key(name, route):
    trigger = _bindings()[name]["httpTrigger"]
    assert trigger["route"] == route
    assert trigger["methods"] == ["GET"]
    assert trigger["authLevel"] == "function"


def test_every_binding_setting_is_in_the_sample_settings():
    text = json.dumps(_bindings())
    used = set(re.findall(r"%([A-Za-z0-9_]+)%", text)) | {STORAGE_CONNECTION}
    assert used <= set(SAMPLE_SETTINGS)
    assert set(SETTING_NAMES) <= set(SAMPLE_SETTINGS)


def test_sample_settings_hold_no_secret():
    assert SAMPLE_SETTINGS["SPEECH_KEY"] == ""
    assert not any("AccountKey=" in str(value) for value in SAMPLE_SETTINGS.values())


def test_host_json_uses_extension_bundle_4():
    host = json.loads((ROOT / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensionBundle"]["version"].startswith("[4.")


def test_blob_handler_hands_the_blob_name_to_accept(monkeypatch):
    calls = []
    monkeypatch.setattr(function_app.pipeline, "accept", calls.append)
    stream = func.blob.InputStream(data=b"hi", name="input/a/b.txt", length=2)
    app_functions(function_app.app)["accept_dropped_file"].get_user_function()(stream)
    assert calls == ["input/a/b.txt"]


def test_timer_handler_ticks(monkeypatch):
    calls = []
    monkeypatch.setattr(function_app.pipeline, "tick", lambda: calls.append("tick"))
    app_functions(function_app.app)["poll_jobs"].get_user_function()(TimerRequest())
    assert calls == ["tick"]


class _FakePipeline:
    def status(self, name):
        return {"name": name, "state": "running"} if name == "known.txt" else None

    def recent(self, state, limit):
        return [{"name": "known.txt", "state": state, "limit": limit}]


@pytest.mark.parametrize(
    ("function", "params", "route_params", "status", "body"),
    [
        ("job_status", {}, {"name": "known.txt"}, 200, {"name": "known.txt", "state": "running"}),
        ("job_status", {}, {"name": "nope.txt"}, 404, None),
        ("list_jobs", {"state": "failed", "limit": "5"}, {}, 200, None),
        ("list_jobs", {"limit": "many"}, {}, 400, None),
    ],
)
def test_http_handlers(monkeypatch, function, params, route_params, status, body):
    monkeypatch.setattr(function_app.pipeline, "default_pipeline", _FakePipeline)
    request = func.HttpRequest(
        "GET", "http://h/api/x", params=params, route_params=route_params, body=b""
    )
    response = app_functions(function_app.app)[function].get_user_function()(request)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    payload = json.loads(response.get_body())
    if body is not None:
        assert payload == body
    if function == "list_jobs" and status == 200:
        assert payload["value"][0] == {"name": "known.txt", "state": "failed", "limit": 5}
