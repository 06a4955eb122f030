"""The hostile corpus end to end: every storable case dropped at once, with two good files,
into one app run by its own trigger functions against Azurite and the emulator."""

from __future__ import annotations

import pytest

from shared.delivery import output_folder_for
from tests.corpus.cases import CASES, GOOD, SETTINGS_ENV

pytestmark = pytest.mark.integration

STORABLE = [case for case in CASES if case.storable]


def _creates(stack) -> int:
    return sum(stack.stats()["requests"].get("create", {}).values())


def test_every_hostile_file_fails_cleanly_and_good_files_still_deliver(make_app, stack):
    app = make_app(**SETTINGS_ENV)
    creates_before = _creates(stack)
    etags = {case.name: app.drop(case.name, case.data, **case.metadata) for case in STORABLE}
    for name, (data, metadata) in GOOD.items():
        app.drop(name, data, **metadata)
    names = [*etags, *GOOD]
    assert set(names) == {blob.name for blob in app.input.list_blobs()}  # stored as named

    statuses = app.runner.run_until_settled(names, interval=0.3, timeout=90)

    assert _creates(stack) - creates_before == len(GOOD)  # no job for any bad file
    for name in GOOD:
        assert statuses[name]["state"] == "delivered", statuses[name]
        assert app.output_json(f"{name}/manifest.json")["status"] == "delivered"

    problems = []
    for case in STORABLE:
        status = statuses[case.name]
        error = status.get("error") or {}
        if status["state"] != "failed" or error.get("code") != case.code:
            problems.append(f"{case.id}: {status['state']} {error}")
            continue
        assert case.hint in error["message"], (case.id, error)
        if case.output_folder is None:
            # the name cannot become an output folder: the record/status carries the error
            assert "outputs" not in status, case.id
            assert app.runner.get(f"jobs/{case.name}")[1]["error"]["code"] == case.code
        else:
            report = app.output_json(f"{case.output_folder}/error.json")
            assert report["error"]["code"] == case.code, case.id
            assert report["source"]["name"] == case.name
            assert app.output_json(f"{case.output_folder}/manifest.json")["status"] == "failed"
            assert status["outputs"]["folder"] == case.output_folder
        # the input file is left exactly as it was
        blob = app.input.get_blob_client(case.name)
        assert blob.get_blob_properties().etag == etags[case.name], case.id
        assert blob.download_blob().readall() == case.data, case.id
    assert not problems, "\n".join(problems)

    # nothing was written outside the folders named after the inputs
    folders = {output_folder_for(n) for n in GOOD} | {
        c.output_folder for c in STORABLE if c.output_folder is not None
    }
    for blob in app.output.list_blobs():
        assert blob.name.rsplit("/", 1)[0] in folders | {f"{f}/audio" for f in folders}, blob.name
