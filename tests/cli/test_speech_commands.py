"""voices, submit, get, list and delete against the real emulator (in-process `main`)."""

from __future__ import annotations

import json
import time
import wave
from pathlib import Path

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError

import speechdrop.cli
from speechdrop.submit import JOB_ID

STORY = "The fox ran home. It was late.\n\nThe moon was up, and the night was quiet.\n"


def wait_for(cli, job_id: str, status: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = cli("get", job_id, "--json").json()
        if job["status"] == status or time.monotonic() > deadline:
            assert job["status"] == status
            return job
        time.sleep(0.1)


# -- voices ------------------------------------------------------------------------------


def test_voices_table(cli):
    result = cli("voices")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["SHORTNAME", "LOCALE", "GENDER"]
    assert any(line.split() == ["en-US-AvaMultilingualNeural", "en-US", "Female"] for line in lines)


def test_voices_by_locale_as_json(cli):
    result = cli("--json", "voices", "--locale", "en-gb")
    voices = result.json()
    assert result.code == 0 and voices
    assert {voice["Locale"] for voice in voices} == {"en-GB"}
    assert "en-GB-SoniaNeural" in {voice["ShortName"] for voice in voices}
    # --json is accepted after the command too; a language alone matches its locales
    assert {v["Locale"] for v in cli("voices", "--locale", "en", "--json").json()} >= {
        "en-US",
        "en-GB",
    }
    unknown = cli("voices", "--locale", "xx-YY")
    assert unknown.code == 1 and "no voice has locale 'xx-YY'" in unknown.err


# -- submit --wait -----------------------------------------------------------------------


def test_submit_wait_unpacks_wav_and_mp3(cli, tmp_path):
    Path("story.txt").write_text(STORY)
    job = {
        "inputKind": "PlainText",
        "inputs": [{"content": "A job document in MP3."}],
        "properties": {"outputFormat": "audio-24khz-96kbitrate-mono-mp3"},
    }
    Path("job.json").write_text(json.dumps(job))
    result = cli(
        "submit",
        "story.txt",
        "job.json",
        "--format",
        "riff-24khz-16bit-mono-pcm",
        "--no-sentences",
        "--wait",
        "--out",
        "results",
        "--interval",
        "0.2",
    )
    assert result.code == 0, result.err
    ids = [line for line in result.out.splitlines() if JOB_ID.match(line)]
    assert len(ids) == 2 and all(job_id.startswith("cli-") for job_id in ids)
    assert "story.txt: results/story.txt (5 files" in result.out
    assert "job.json: results/job.json (3 files" in result.out
    assert "waiting: 2/2 jobs done" in result.err

    story = tmp_path / "results" / "story.txt"
    assert sorted(p.name for p in story.iterdir()) == [
        "0001.wav",
        "0001.word.json",
        "0002.wav",
        "0002.word.json",
        "summary.json",
    ]
    with wave.open(str(story / "0001.wav")) as audio:
        assert audio.getframerate() == 24000 and audio.getsampwidth() == 2
        assert audio.getnframes() > 24000 * 0.5  # real speech, not an empty file
    words = json.loads((story / "0001.word.json").read_text())
    assert [w["Text"] for w in words][:2] == ["The", "fox"]
    mp3 = (tmp_path / "results" / "job.json" / "0001.mp3").read_bytes()
    assert len(mp3) > 1000 and (mp3[:3] == b"ID3" or (mp3[0] == 0xFF and mp3[1] & 0xE0 == 0xE0))


def test_submit_splits_a_large_file_into_parts_as_json(cli, speech_env, tmp_path):
    speech_env.setenv("MAX_INPUTS_PER_JOB", "2")
    Path("long.txt").write_text("One.\n\nTwo.\n\nThree.\n")
    result = cli(
        "submit", "long.txt", "--wait", "--interval", "0.2", "--id-prefix", "t.1", "--json"
    )
    assert result.code == 0, result.err
    (summary,) = result.json()["files"]
    assert summary["inputs"] == 3 and summary["kind"] == "text"
    jobs = summary["jobs"]
    assert [job["status"] for job in jobs] == ["Succeeded", "Succeeded"]
    assert all(JOB_ID.match(job["id"]) and job["id"].startswith("t.1-long-") for job in jobs)
    assert [job["folder"] for job in jobs] == ["out/long.txt/part-001", "out/long.txt/part-002"]
    assert (tmp_path / "out/long.txt/part-001/0002.mp3").exists()
    assert (tmp_path / "out/long.txt/part-002/0001.mp3").exists()


# -- submit, get, list -------------------------------------------------------------------


def test_submit_prints_ids_then_get_and_list(cli):
    Path("note.txt").write_text("Just one short note.")
    result = cli("submit", "note.txt", "--voice", "en-GB-RyanNeural", "--id-prefix", "gl")
    assert result.code == 0, result.err
    (job_id,) = result.out.split()
    assert JOB_ID.match(job_id) and job_id.startswith("gl-note-")
    assert "note.txt: 1 job(s), 1 input(s)" in result.err

    job = wait_for(cli, job_id, "Succeeded")
    assert job["synthesisConfig"]["voice"] == "en-GB-RyanNeural"
    assert job["outputs"]["result"].endswith("/results.zip")  # the path, never the SAS query

    shown = cli("get", job_id)
    assert shown.code == 0
    fields = dict(line.split(None, 1) for line in shown.out.splitlines() if line[:1] != " ")
    assert fields["status"].strip() == "Succeeded"
    assert "1 succeeded, 0 failed" in shown.out and "billed" in shown.out
    assert "audio" in fields and "created" in fields

    succeeded = cli("list", "--status", "Succeeded")
    assert succeeded.code == 0 and job_id in succeeded.out
    assert succeeded.out.splitlines()[0].split()[:2] == ["ID", "STATUS"]
    assert job_id not in cli("list", "--status", "Running").out
    listed = cli("--json", "list").json()
    assert job_id in {job["id"] for job in listed}
    assert all("?" not in job.get("outputs", {}).get("result", "") for job in listed)


# -- delete ------------------------------------------------------------------------------


def test_delete_refuses_a_running_job_and_wait_gives_up(cli, stack):
    Path("stuck.txt").write_text("This job never finishes.")
    stack.faults(stuck_job=1.0)
    try:
        result = cli("submit", "stuck.txt", "--wait", "--interval", "0.2", "--timeout", "1.5")
        assert result.code == 1
        (job_id,) = [line for line in result.out.splitlines() if JOB_ID.match(line)]
        assert "gave up waiting after 1.5 s" in result.err
        assert f"these jobs keep running at the service: {job_id}" in result.err

        refused = cli("delete", job_id)
        assert refused.code == 1
        assert f"job {job_id} is still Running; wait for it to finish" in refused.err
        assert cli("get", job_id, "--json").json()["status"] == "Running"
    finally:
        stack.faults(stuck_job=0)


def test_delete_finished_and_unknown_jobs(cli):
    Path("short.txt").write_text("Delete me.")
    submitted = cli("submit", "short.txt", "--wait", "--interval", "0.2", "--json")
    job_id = submitted.json()["files"][0]["jobs"][0]["id"]

    result = cli("delete", job_id, "no-such-job-1")
    assert result.code == 1
    assert result.out == f"deleted {job_id}\n"
    assert "job no-such-job-1 does not exist" in result.err

    gone = cli("get", job_id)
    assert gone.code == 1 and gone.out == "" and f"job {job_id} does not exist" in gone.err
    again = cli("delete", job_id, "--json")
    assert again.code == 1
    assert again.json() == {
        "deleted": [],
        "errors": [{"id": job_id, "error": again.json()["errors"][0]["error"]}],
    }


# -- errors ------------------------------------------------------------------------------


def test_missing_endpoint(cli, speech_env, stack):
    speech_env.delenv("SPEECH_ENDPOINT")
    result = cli("voices")
    assert result.code == 2
    assert result.err == "speechdrop: set SPEECH_ENDPOINT or pass --endpoint\n"
    assert cli("--endpoint", stack.emulator.endpoint, "voices").code == 0
    assert cli("voices", "--endpoint", "ftp://nowhere").code == 2


def test_wrong_key(cli):
    result = cli("--key", "not-the-right-key", "voices")
    assert result.code == 1
    assert result.out == ""
    assert "the key was refused: check SPEECH_KEY" in result.err
    assert "not-the-right-key" not in result.err
    assert len(result.err.splitlines()) == 1


def test_bad_input_files_submit_nothing(cli, stack):
    Path("good.txt").write_text("Fine.")
    Path("empty.txt").write_text("")
    Path("notes.pdf").write_bytes(b"%PDF-1.7")
    Path("page.ssml").write_text(
        '<speak version="1.0" xml:lang="en-US"><voice name="en-US-AvaNeural">Hi</voice></speak>'
    )
    before = len(cli("--json", "list").json())
    result = cli("submit", "good.txt", "empty.txt", "notes.pdf", "--id-prefix", "bad")
    assert result.code == 1
    assert "empty.txt: The file is empty." in result.err
    assert "notes.pdf: Files named '.pdf' are not read" in result.err
    assert "nothing was submitted" in result.err
    assert result.out == ""
    voiced = cli("submit", "page.ssml", "--voice", "en-US-GuyNeural")
    assert voiced.code == 1 and "page.ssml: " in voiced.err and "(option --voice)" in voiced.err
    unknown = cli("submit", "good.txt", "--voice", "en-US-NobodyNeural")
    assert unknown.code == 1 and unknown.err.startswith("good.txt: ")
    opus = cli("submit", "good.txt", "--format", "ogg-24khz-16bit-mono-opus")
    assert opus.code == 1 and "cannot join audio" in opus.err and "(option --format)" in opus.err
    assert len(cli("--json", "list").json()) == before
    opus_format = ("--format", "ogg-24khz-16bit-mono-opus")
    separate = cli("submit", "good.txt", *opus_format, "--no-concatenate")
    # the CLI lets it through; the emulator (unlike Azure) cannot make Opus and refuses it
    assert separate.code == 1 and separate.out == ""
    assert "no job was created" in separate.err
    assert "the speech service refused the request (HTTP 400" in separate.err

    missing = cli("submit", "nowhere.txt")
    assert missing.code == 2 and "nowhere.txt: cannot read it" in missing.err


def test_usage_errors(cli):
    Path("a.txt").write_text("A.")
    assert cli().code == 2
    assert cli("submit", "a.txt", "--out", "x").code == 2
    prefix = cli("submit", "a.txt", "--id-prefix", "-bad")
    assert prefix.code == 2 and "--id-prefix" in prefix.err
    assert cli("list", "--status", "Sleeping").code == 2
    Path("out").write_text("a file where the results folder would go")
    blocked = cli("submit", "a.txt", "--wait")
    assert blocked.code == 2 and "out exists and is not a folder" in blocked.err
    assert cli("--help").code == 0


def test_throttled_after_retries(cli, stack):
    stack.faults(rate_limit=1, rate_window=60)
    try:
        with httpx.Client() as client:  # use up the one request of the window
            client.get(
                f"{stack.emulator.endpoint}/cognitiveservices/voices/list",
                headers={"Ocp-Apim-Subscription-Key": stack.emulator.key},
            )
        result = cli("list")
        assert result.code == 1
        assert "still throttling requests after retries" in result.err
        assert "try again later" in result.err
    finally:
        stack.faults(rate_limit=1000, rate_window=10)


# -- Microsoft Entra ID --------------------------------------------------------------------


class FakeToken:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJjb2duaXRpdmVzZXJ2aWNlcyJ9.c2ln"
    expires_on = time.time() + 3600


class FakeCredential:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.scopes: list[str] = []
        self.closed = False

    def get_token(self, *scopes: str, **kwargs):
        self.scopes += scopes
        if self.fail:
            raise ClientAuthenticationError("no identity here (with a long explanation)")
        return FakeToken()

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("fail", [False, True])
def test_without_a_key_signs_in_with_entra_id(cli, speech_env, fail):
    speech_env.delenv("SPEECH_KEY")
    credential = FakeCredential(fail)
    speech_env.setattr(speechdrop.cli, "make_credential", lambda: credential)
    result = cli("voices", "--locale", "de-DE")
    assert credential.scopes == ["https://cognitiveservices.azure.com/.default"]
    assert credential.closed
    if fail:
        assert result.code == 2
        assert "Microsoft Entra ID sign-in failed: run `az login`" in result.err
        assert len(result.err.splitlines()) == 1
    else:
        assert result.code == 0 and "de-DE" in result.out
        assert FakeToken.token not in result.out + result.err


def test_a_failed_job_is_reported(cli, stack):
    Path("doomed.txt").write_text("This one fails at the service.")
    stack.faults(fail_job=1.0)
    try:
        result = cli("submit", "doomed.txt", "--wait", "--interval", "0.2")
    finally:
        stack.faults(fail_job=0)
    assert result.code == 1
    job_id = result.out.splitlines()[0]
    assert "doomed.txt: Failed: " in result.out
    shown = cli("get", job_id)
    assert shown.code == 0 and "Failed" in shown.out and "error" in shown.out
