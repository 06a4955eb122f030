"""The soak (`make soak`, bench/soak.py) in small, and minimal reproductions of what it found.

The smoke runs the same code as `make soak` on 20 files for well under a minute:
emulator faults (500/503, a 429 burst, failed jobs and inputs, slow answers), every
event delivered one to three times, late and shuffled, blob-trigger calls interrupted
before or after any storage or service call, and timer calls sometimes two at once. It
leaves out what needs JOB_TIMEOUT_MINUTES (a whole minute) to resolve: stuck jobs, and
interrupted timer calls (an interrupted delivery waits for DELIVERY_LEASE or the timeout;
see `test_crash_during_delivery_*`). The full soak has both.

The other tests are the soak's findings, fixed: each is a minimal, deterministic sequence
(which call was interrupted or delayed where) that used to lose or double something.
"""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import replace
from datetime import timedelta

import pytest

from bench.soak import MUST_BE_ZERO, Interrupted, SoakConfig, run_soak
from shared import pipeline
from shared.errors import ThrottledError
from shared.jobs import file_id_for
from shared.speech import SpeechClient

pytestmark = pytest.mark.integration

TEXT = "The river was quiet in the early morning.\nA small boat waited near the old harbor wall.\n"


def test_soak_smoke(tmp_path):
    config = SoakConfig(
        files=20,
        seed=3,
        minutes=0.8,
        fault_share=0.45,
        tick_interval=0.5,
        tick_interrupt=0.0,
        accept_interrupt=0.05,
        stuck_job=0.0,
        burst_every=12.0,
        burst_seconds=3.0,
        rewrites=0.1,
        log_dir=tmp_path,
    )
    result = run_soak(config, say=lambda line: None)
    print(result.table())
    report = "\n".join(result.problems) + f"\n(logs: {tmp_path})"
    assert result.figures["files dropped"] == 20
    assert result.figures["delivered"] > 0 and result.figures["failed"] > 0
    assert {name: result.figures[name] for name in MUST_BE_ZERO} == dict.fromkeys(
        MUST_BE_ZERO, 0
    ), report
    assert result.wall_seconds < 60


# -- findings ------------------------------------------------------------------------------


class _Speech:
    """The pipeline's speech client with one hook: `on_create` runs before the first PUT
    of a chosen caller, and it raises Interrupted right after the Nth DELETE succeeded."""

    def __init__(self, speech: SpeechClient) -> None:
        self._speech = speech
        self.before_create = None
        self.crash_after_delete = 0  # crash right after the Nth successful DELETE
        self.deletes = 0
        self.created: list[str] = []

    def __getattr__(self, name: str):
        return getattr(self._speech, name)

    def create(self, job_id, body):
        hook, self.before_create = self.before_create, None
        if hook is not None:
            hook()
        result = self._speech.create(job_id, body)
        self.created.append(job_id)
        return result

    def delete(self, job_id):
        deleted = self._speech.delete(job_id)
        self.deletes += 1
        if self.deletes == self.crash_after_delete:
            raise Interrupted(f"after DELETE {job_id}")
        return deleted


def _hooked(app) -> _Speech:
    target = pipeline.default_pipeline()
    speech = _Speech(target.speech)
    target.speech = speech
    return speech


def _jobs_of(stack, file_id: str) -> list[dict]:
    with closing(SpeechClient(stack.emulator.endpoint, key=stack.emulator.key)) as speech:
        return [job for job in speech.list() if job["id"].startswith(f"sd-{file_id}")]


def _tick_until(app, name: str, state: str, limit: int = 60) -> dict:
    status: dict = {}
    for _ in range(limit):
        app.runner.tick()
        status = app.runner.get("jobs/" + name)[1]
        if status.get("state") == state:
            return status
        time.sleep(0.5)
    raise AssertionError(f"{name} never reached {state}: {status}")


def _state(app, name: str) -> str:
    return app.runner.get("jobs/" + name)[1]["state"]


def test_timer_leaves_a_file_to_the_blob_trigger_submitting_it(make_app, stack):
    # finding 1: accept() records the file and then PUTs its job. Timer calls meanwhile
    # used to submit it too; if accept's PUT was slow, the timer side created, delivered
    # and deleted the job first, and accept's late PUT created it again (billed, never
    # deleted). Now accept holds the submit lease, and the timer leaves the file alone.
    app = make_app()
    name = "race.txt"
    etag = app.drop(name, TEXT.encode())
    speech = _hooked(app)

    def timer_calls_meanwhile():
        for _ in range(3):
            app.runner.tick()

    speech.before_create = timer_calls_meanwhile
    app.runner.deliver_event(name)
    _tick_until(app, name, "delivered")

    file_id = file_id_for(name, etag)
    assert speech.created == [f"sd-{file_id}-000"]
    assert _jobs_of(stack, file_id) == []


def test_crash_after_deleting_a_failed_files_job(make_app, stack):
    app = make_app()
    name = "failing.txt"
    etag = app.drop(name, TEXT.encode())
    stack.faults(fail_job=1.0, seed=5)
    app.runner.deliver_event(name)
    speech = _hooked(app)
    speech.crash_after_delete = 2  # the 1st retries the failed job (-r1); the 2nd is
    with pytest.raises(Interrupted):  # _finish_failed: error.json, manifest, DELETE, crash
        for _ in range(60):
            app.runner.tick()
            time.sleep(0.5)
    assert app.output_json(f"{name}/manifest.json")["status"] == "failed"
    stack.faults(fail_job=0)

    for _ in range(20):  # the host goes on calling the timer
        app.runner.tick()
        time.sleep(0.5)

    status = app.runner.get("jobs/" + name)[1]
    manifest = app.output_json(f"{name}/manifest.json")
    # one outcome, announced once: still failed, and no third job for the same part
    assert (status["state"], manifest["status"]) == ("failed", "failed")
    assert speech.created == [f"sd-{file_id_for(name, etag)}-000-r1"], speech.created
    assert _jobs_of(stack, file_id_for(name, etag)) == []


def test_crash_during_delivery_cleanup_does_not_resubmit(make_app, stack, monkeypatch):
    app = make_app()
    name = "delivering.txt"
    etag = app.drop(name, TEXT.encode())
    app.runner.deliver_event(name)
    speech = _hooked(app)
    speech.crash_after_delete = 1
    with pytest.raises(Interrupted):  # _deliver: outputs, manifest, record, DELETE, crash
        _tick_until(app, name, "delivered")
    assert app.output_json(f"{name}/manifest.json")["status"] == "delivered"
    assert _state(app, name) == "delivered"  # saved before the cleanup at the service

    monkeypatch.setattr(pipeline, "DELIVERY_LEASE", timedelta(0))  # as if the lease had run out
    for _ in range(3):
        app.runner.tick()  # the leftover marker: cleanup only
    status = app.runner.get("jobs/" + name)[1]

    file_id = file_id_for(name, etag)
    assert status["state"] == "delivered"
    assert speech.created == [], f"synthesized again: {speech.created}"
    assert _jobs_of(stack, file_id) == []


def test_timeout_never_overrides_a_finished_delivery(make_app, stack, monkeypatch):
    app = make_app()
    name = "flip.txt"
    app.drop(name, TEXT.encode())
    app.runner.deliver_event(name)
    speech = _hooked(app)
    speech.crash_after_delete = 1
    with pytest.raises(Interrupted):
        _tick_until(app, name, "delivered")
    assert app.output_json(f"{name}/manifest.json")["status"] == "delivered"

    # JOB_TIMEOUT_MINUTES passes before DELIVERY_LEASE does (e.g. a file that waited long
    # in the service's queue; or any JOB_TIMEOUT_MINUTES below 10)
    target = pipeline.default_pipeline()
    monkeypatch.setattr(target, "settings", _with_timeout(target.settings, 0))
    for _ in range(3):
        app.runner.tick()

    status = app.runner.get("jobs/" + name)[1]
    manifest = app.output_json(f"{name}/manifest.json")
    assert (status["state"], manifest["status"]) == ("delivered", "delivered")


def _with_timeout(settings, minutes: int):
    return replace(settings, job_timeout_minutes=minutes)


def test_old_version_failing_late_leaves_the_new_versions_outputs(make_app, stack, monkeypatch):
    app = make_app()
    name = "twice.txt"
    stack.faults(stuck_job=1.0, seed=9)
    app.drop(name, TEXT.encode())
    app.runner.deliver_event(name)
    _tick_until(app, name, "running")  # version 1 is stuck at the service
    stack.faults(stuck_job=0)
    new_etag = app.drop(name, b"A second version, shorter than the first.\n")
    app.runner.deliver_event(name)
    _tick_until(app, name, "delivered")  # version 2 is delivered
    assert app.output_json(f"{name}/manifest.json")["source"]["etag"] == new_etag

    # version 1's JOB_TIMEOUT_MINUTES passes (any failure of the old version does the same)
    target = pipeline.default_pipeline()
    monkeypatch.setattr(target, "settings", _with_timeout(target.settings, 0))
    app.runner.tick()

    manifest = app.output_json(f"{name}/manifest.json")
    assert (manifest["source"]["etag"], manifest["status"]) == (new_etag, "delivered")
    assert "error.json" not in app.output_names(name)


def test_throttled_delete_after_delivery_is_retried_by_later_ticks(make_app, stack):
    # a DELETE throttled beyond the client's retries after manifest.json was written must
    # neither park the file nor leave its job: the file is delivered at once and its
    # marker stays until a later tick has deleted the job.
    app = make_app()
    name = "throttled.txt"
    etag = app.drop(name, TEXT.encode())
    app.runner.deliver_event(name)
    speech = _hooked(app)

    def throttled(job_id):
        raise ThrottledError("the speech service is throttling requests (delete)", 1.0)

    speech.delete = throttled  # a 429 burst outlasts the client's retries
    _tick_until(app, name, "delivered")
    assert app.output_json(f"{name}/manifest.json")["status"] == "delivered"
    assert _jobs_of(stack, file_id_for(name, etag)) != []
    del speech.delete  # the burst is over

    for _ in range(2):  # the next timer calls clean up
        app.runner.tick()
    assert _state(app, name) == "delivered"
    assert _jobs_of(stack, file_id_for(name, etag)) == []
