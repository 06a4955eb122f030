"""Pure helpers: job ids, safe unpacking, scrubbing of secrets."""

from __future__ import annotations

import io
import zipfile

import pytest

from speechdrop import render
from speechdrop.submit import JOB_ID, _unpack, job_id


@pytest.mark.parametrize(
    "name",
    ["chapter.txt", "A very long chapter name, with spaces & symbols!!.txt", "ünïcødé.ssml", "x"],
)
def test_job_ids_follow_the_service_rule(name):
    for part, parts in ((0, 1), (4, 12)):
        value = job_id("my.prefix_1-abcd", name, "20250101120000", "a1b2c3", part, parts)
        assert JOB_ID.match(value), value
        assert len(value) <= 64


def archive(*names: str) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name in names:
            zipped.writestr(name, b"data")
    buffer.seek(0)
    return buffer


def test_unpack_writes_the_members(tmp_path):
    assert _unpack(archive("0001.wav", "summary.json"), tmp_path / "x") == [
        "0001.wav",
        "summary.json",
    ]
    assert (tmp_path / "x" / "0001.wav").read_bytes() == b"data"


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil", "a/../../evil"])
def test_unpack_refuses_members_outside_the_folder(tmp_path, name):
    with pytest.raises(zipfile.BadZipFile):
        _unpack(archive(name), tmp_path / "x")
    assert not (tmp_path / "evil.txt").exists()


def test_scrub_strips_queries_and_secrets():
    text = "see https://acct.blob.core.windows.net/c/r.zip?sv=1&sig=abc%3D and key s3cr3t-key"
    assert render.scrub(text, ["s3cr3t-key"]) == (
        "see https://acct.blob.core.windows.net/c/r.zip and key ***"
    )
    job = {"outputs": {"result": "http://h/p/results.zip?se=1&sig=x"}, "id": "j"}
    assert render.redact_job(job) == {"outputs": {"result": "http://h/p/results.zip"}, "id": "j"}


def test_durations():
    assert render.duration(3221) == "3.2 s"
    assert render.duration(125_400) == "2:05.4"
    assert render.duration(3_725_000) == "1:02:05.0"
    assert render.elapsed(75) == "1:15"
