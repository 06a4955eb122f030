"""File records: ids within the service's rules, the state machine, entity round trip."""

import re

import pytest

from shared.jobs import FileRecord, FileState, Part, file_id_for

SERVICE_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,62}[a-zA-Z0-9]$")


def _record(state=FileState.ACCEPTED, parts=2):
    record = FileRecord("books/ch1.txt", '"0x8D1"', state, "text", {"voice": "v"}, [], 10, 500)
    record.parts = [Part(i, i * 5, 5) for i in range(parts)]
    record.stamp("accepted")
    return record


def test_ids_are_deterministic_and_versioned():
    assert file_id_for("a.txt", '"1"') == file_id_for("a.txt", "1")
    assert file_id_for("a.txt", "1") != file_id_for("a.txt", "2")
    assert file_id_for("a.txt", "1") != file_id_for("b.txt", "1")


@pytest.mark.parametrize("name", ["a", "x" * 1000, "ünïcødé/名前.txt", "../..//.txt"])
def test_job_ids_follow_service_rules(name):
    record = _record()
    record.blob_name = name
    for attempt in (0, 1, 12):
        part = Part(999, 0, 1, attempt=attempt)
        assert SERVICE_ID.match(record.job_id(part))
        assert len(record.job_id(part)) <= 64


def test_state_machine_moves_forward_and_fails_from_anywhere():
    record = _record()
    for state in (FileState.SUBMITTED, FileState.RUNNING, FileState.DELIVERING):
        record.advance(state)
        assert state.value in record.times
    with pytest.raises(ValueError):
        record.advance(FileState.SUBMITTED)
    record.fail("timeout", "too slow")
    assert record.state.is_final and record.error["code"] == "timeout"
    with pytest.raises(ValueError):
        record.advance(FileState.DELIVERED)


def test_entity_round_trip():
    record = _record()
    record.fail("encoding", "bad bytes", "line 3")
    entity = record.to_entity()

    class Entity(dict):
        metadata = {"etag": "W/1"}

    again = FileRecord.from_entity(Entity(entity))
    assert again.parts == record.parts
    assert again.error == {"code": "encoding", "message": "bad bytes", "where": "line 3"}
    assert again.state is FileState.FAILED and again.etag == "W/1"
