"""`jobs`: what the pipeline's jobs table (on real Azurite) says."""

from __future__ import annotations

import pytest
from azure.data.tables import TableClient

from shared.jobs import FileRecord, FileState, JobStore, Part


@pytest.fixture
def seeded(stack):
    table = TableClient.from_connection_string(
        stack.azurite.connection_string, table_name="clijobs"
    )
    store = JobStore(table)
    store.ensure_table()
    options = {"voice": "en-US-AvaMultilingualNeural", "output_format": "riff-24khz-16bit-mono-pcm"}
    delivered = FileRecord(
        "book/chapter1.txt",
        '"0x8D0001"',
        FileState.ACCEPTED,
        "text",
        options,
        [Part(0, 0, 3, status="Succeeded"), Part(1, 3, 2, status="Succeeded")],
        5,
        1234,
    )
    delivered.stamp("accepted")
    delivered.state = FileState.DELIVERED
    delivered.outputs = {"folder": "book/chapter1.txt", "manifest": "manifest.json"}
    failed = FileRecord("empty.txt", '"0x8D0002"', FileState.ACCEPTED, "text", {}, [], 0, 0)
    failed.stamp("accepted")
    failed.fail("empty", "The file is empty.")
    running = FileRecord(
        "b.ssml", '"0x8D0003"', FileState.RUNNING, "ssml", options, [Part(0, 0, 1, "Running")], 1, 9
    )
    running.stamp("accepted")
    for record in (delivered, failed, running):
        assert store.add(record)
    yield
    store.close()


def test_jobs_lists_the_pipeline_records(cli, speech_env, seeded):
    speech_env.setenv("JOBS_TABLE", "clijobs")
    speech_env.setenv("SPEECH_ENDPOINT", "not a URL")  # the jobs table needs no Speech
    result = cli("jobs")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split()[:3] == ["NAME", "STATE", "JOBS"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"book/chapter1.txt", "empty.txt", "b.ssml"}
    assert rows["book/chapter1.txt"].split()[1:5] == ["delivered", "2/2", "5", "1,234"]
    assert "empty: The file is empty." in rows["empty.txt"]
    assert rows["b.ssml"].split()[1:3] == ["running", "0/1"]

    failed = cli("jobs", "--state", "failed", "--json").json()
    assert [view["name"] for view in failed] == ["empty.txt"]
    assert failed[0]["error"]["code"] == "empty"
    views = cli("--json", "jobs").json()
    assert {view["state"] for view in views} == {"delivered", "failed", "running"}
    assert cli("jobs", "--state", "delivering").out.splitlines()[1:] == []


def test_jobs_without_storage_or_table(cli, speech_env):
    speech_env.setenv("JOBS_TABLE", "nosuchtable")
    missing = cli("jobs")
    assert missing.code == 0
    assert "the jobs table 'nosuchtable' does not exist yet" in missing.err
    speech_env.delenv("SPEECHDROP_STORAGE")
    unset = cli("jobs")
    assert unset.code == 2 and "set SPEECHDROP_STORAGE" in unset.err
