"""`--api longaudio`: voices, submit, get, list, files and delete against the real emulator's
Long Audio API v3.0 (in-process `main`), errors and --json included."""

from __future__ import annotations

import codecs
import re
import time
import wave
from pathlib import Path

import pytest

LA = ("--api", "longaudio")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FIRST = "The fox ran home through the dark wood, where nothing stirred and no bird sang. " * 3
SECOND = "The moon was up over the hills, and the night was long, cold and very quiet. " * 3
STORY = f"{FIRST}\n\n{SECOND}\n"


@pytest.fixture(autouse=True)
def fast_long_audio(stack):
    """The Long Audio API's own 5 requests/s limit would slow polling tests down."""
    stack.faults(long_audio_rate_limit=1000)
    yield
    stack.faults(long_audio_rate_limit=1000, stuck_job=0, fail_input=0)


def la(cli, *argv: str):
    return cli(*LA, *argv)


def wait_for(cli, synthesis_id: str, status: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        synthesis = la(cli, "get", synthesis_id, "--json").json()
        if synthesis["status"] == status or time.monotonic() > deadline:
            assert synthesis["status"] == status
            return synthesis
        time.sleep(0.1)


def ssml(text: str, voice: str) -> str:
    return (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
        f'<voice name="{voice}">{text}</voice></speak>'
    )


# -- voices ------------------------------------------------------------------------------


def test_voices_table_and_json(cli):
    table = la(cli, "voices", "--locale", "en-GB")
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split() == ["SHORTNAME", "LOCALE", "GENDER"]
    assert ["en-GB-SoniaNeural", "en-GB", "Female"] in [line.split() for line in lines]
    assert {line.split()[1] for line in lines[1:]} == {"en-GB"}
    voices = cli("voices", "--json", "--api", "longaudio", "--locale", "de").json()
    assert {v["locale"] for v in voices} == {"de-DE"} and all(GUID.match(v["id"]) for v in voices)
    unknown = la(cli, "voices", "--locale", "xx-YY")
    assert unknown.code == 1
    assert "no voice has locale 'xx-YY': run `speechdrop --api longaudio voices`" in unknown.err


# -- submit --wait -----------------------------------------------------------------------


def test_submit_wait_unpacks_the_result_zip(cli, tmp_path):
    Path("story.txt").write_text(STORY)  # no BOM: the CLI adds it
    result = la(
        cli, "submit", "story.txt", "--voice", "en-GB-RyanNeural", "--wait", "--out", "res",
        "--interval", "0.2",
    )  # fmt: skip
    assert result.code == 0, result.err
    synthesis_id = result.out.splitlines()[0]
    assert GUID.match(synthesis_id)
    assert "story.txt: 1 synthesis, 2 paragraph(s)" in result.err
    assert "en-GB-RyanNeural, riff-16khz-16bit-mono-pcm" in result.err
    assert "waiting: 1/1 syntheses done" in result.err
    assert "story.txt: res/story.txt (3 files, " in result.out and "of audio" in result.out

    folder = tmp_path / "res" / "story.txt"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["0001.wav", "0002.wav", f"{synthesis_id}.txt"]
    with wave.open(str(folder / "0001.wav")) as audio:
        assert audio.getframerate() == 16000 and audio.getnframes() > 16000  # real speech
    assert (folder / f"{synthesis_id}.txt").read_bytes() == codecs.BOM_UTF8 + STORY.encode()

    shown = la(cli, "get", synthesis_id)
    assert shown.code == 0
    fields = dict(line.split(None, 1) for line in shown.out.splitlines())
    assert fields["status"].strip() == "Succeeded" and fields["name"].strip() == "story.txt"
    assert fields["voice"].strip() == "en-GB-RyanNeural" and fields["locale"].strip() == "en-GB"
    assert "billed" in fields["characters"] and fields["concatenated"].strip() == "no"
    assert fields["audio"].strip().endswith("s")


def test_submit_concatenated_mp3_and_ssml_as_json(cli, tmp_path):
    Path("a.txt").write_text(STORY)
    document = "\n".join(ssml(text, "en-US-GuyNeural") for text in (FIRST, SECOND))
    Path("b.ssml").write_bytes(codecs.BOM_UTF8 + document.encode())
    result = la(
        cli, "submit", "a.txt", "b.ssml", "--format", "AUDIO-24KHZ-48KBITRATE-MONO-MP3",
        "--concatenate", "--wait", "--interval", "0.2", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    a, b = result.json()["files"]
    assert (a["kind"], a["voice"], a["inputs"]) == ("text", "en-US-AvaMultilingualNeural", 2)
    assert (b["kind"], b["voice"], b["inputs"]) == ("ssml", "en-US-GuyNeural", 2)
    assert a["outputFormat"] == "audio-24khz-48kbitrate-mono-mp3"
    for summary, name in ((a, "a.txt"), (b, "b.ssml")):
        (job,) = summary["jobs"]
        assert job["status"] == "Succeeded" and job["folder"] == f"out/{name}"
        assert job["files"] == ["0001.mp3", f"{job['id']}.txt"] and job["audioMs"] > 1000
        assert (tmp_path / "out" / name / "0001.mp3").stat().st_size > 1000
    # SSML is sent as it is
    b_id = b["jobs"][0]["id"]
    assert (tmp_path / "out/b.ssml" / f"{b_id}.txt").read_bytes() == Path("b.ssml").read_bytes()


def test_failed_paragraphs_are_reported_with_their_error(cli, stack):
    Path("doomed.txt").write_text(STORY)
    stack.faults(fail_input=1.0)
    result = la(cli, "submit", "doomed.txt", "--wait", "--interval", "0.2")
    assert result.code == 1
    assert "doomed.txt: Failed: 2 paragraph(s) failed; paragraph 1: " in result.out
    assert "partial results in out/doomed.txt" in result.out
    assert sorted(p.name for p in Path("out/doomed.txt").iterdir())[:2] == [
        "0001.err.txt",
        "0002.err.txt",
    ]


# -- get, list, files, delete ------------------------------------------------------------


def test_submit_then_list_files_and_delete(cli):
    Path("note.txt").write_text(STORY)
    submitted = la(cli, "submit", "note.txt", "--json")
    assert submitted.code == 0, submitted.err
    (summary,) = submitted.json()["files"]
    synthesis_id = summary["jobs"][0]["id"]
    assert summary["jobs"][0]["status"] == "NotStarted" and "folder" not in summary["jobs"][0]
    wait_for(cli, synthesis_id, "Succeeded")

    listed = la(cli, "list", "--status", "Succeeded")
    assert listed.code == 0 and listed.out.splitlines()[0].split()[-1] == "NAME"
    row = next(line for line in listed.out.splitlines() if line.startswith(synthesis_id))
    assert "Succeeded" in row and row.endswith("note.txt")
    assert synthesis_id in {s["id"] for s in la(cli, "list", "--json").json()}
    assert synthesis_id not in la(cli, "list", "--status", "Running").out
    assert synthesis_id not in cli("list").out  # the batch API's jobs are another list

    files = la(cli, "files", synthesis_id)
    assert files.code == 0
    assert files.out.splitlines()[0].split() == ["NAME", "KIND", "BYTES", "CREATED"]
    assert "LongAudioSynthesisScript" in files.out and "LongAudioSynthesisResult" in files.out
    as_json = la(cli, "files", synthesis_id, "--json").json()
    urls = [f["links"]["contentUrl"] for f in as_json]
    assert all("?" not in url for url in urls)  # the path, never the SAS query
    assert {f["kind"] for f in as_json} == {"LongAudioSynthesisScript", "LongAudioSynthesisResult"}

    deleted = la(cli, "delete", synthesis_id, "no-such-synthesis")
    assert deleted.code == 1 and deleted.out == f"deleted {synthesis_id}\n"
    assert (
        "synthesis no-such-synthesis does not exist (never created, or deleted): "
        "`speechdrop --api longaudio list` shows the syntheses there are" in deleted.err
    )
    gone = la(cli, "get", synthesis_id)
    assert gone.code == 1 and gone.out == "" and f"synthesis {synthesis_id} does not" in gone.err
    missing_files = la(cli, "files", synthesis_id)
    assert missing_files.code == 1 and "does not exist" in missing_files.err
    again = la(cli, "delete", synthesis_id, "--json")
    assert again.code == 1 and again.json()["deleted"] == []
    assert again.json()["errors"][0]["id"] == synthesis_id


def test_delete_refuses_a_running_synthesis_and_wait_gives_up(cli, stack):
    Path("stuck.txt").write_text(STORY)
    stack.faults(stuck_job=1.0)
    result = la(cli, "submit", "stuck.txt", "--wait", "--interval", "0.2", "--timeout", "1")
    assert result.code == 1
    synthesis_id = result.out.splitlines()[0]
    assert "gave up waiting after 1 s" in result.err
    assert (
        f"these syntheses keep running at the service: {synthesis_id} "
        "(`speechdrop --api longaudio get ID`)" in result.err
    )
    refused = la(cli, "delete", synthesis_id)
    assert refused.code == 1 and refused.out == ""
    assert (
        f"synthesis {synthesis_id} is still Running; wait for it to finish "
        f"(`speechdrop --api longaudio get {synthesis_id}`) and delete it then"
    ) in refused.err
    assert la(cli, "get", synthesis_id, "--json").json()["status"] == "Running"
    files = la(cli, "files", synthesis_id, "--json").json()
    assert [f["kind"] for f in files] == ["LongAudioSynthesisScript"]  # no result yet


# -- errors ------------------------------------------------------------------------------


def test_input_rules_are_enforced_before_anything_is_submitted(cli):
    Path("short.txt").write_text("Too short for the Long Audio API.")
    Path("job.json").write_text("{}")
    Path("nobom.ssml").write_text(ssml(FIRST, "en-US-GuyNeural"))
    Path("many.txt").write_text("Line.\n" * 10_000)
    Path("good.txt").write_text(STORY)
    before = len(la(cli, "list", "--json").json())
    result = la(cli, "submit", "good.txt", "short.txt", "job.json", "nobom.ssml", "many.txt")
    assert result.code == 1 and result.out == ""
    lines = result.err.splitlines()
    assert lines == [
        "short.txt: The file has 33 characters; the Long Audio API needs more than 400 "
        "(the batch API takes short texts).",
        "job.json: Files named '.json' are not read by the Long Audio API; supported: .txt, "
        ".ssml, .xml. (job.json)",
        "nobom.ssml: The Long Audio API takes SSML only as UTF-8 with a byte order mark, and "
        "SSML is sent as it is: save the file as UTF-8 with BOM.",
        "many.txt: The file has 10,000 paragraphs (non-blank lines); the Long Audio API takes "
        "fewer than 10,000: split it into several files.",
        "speechdrop: nothing was submitted; fix the file(s) above and try again",
    ]
    page = ssml(FIRST + SECOND, "en-US-GuyNeural")
    Path("page.ssml").write_bytes(codecs.BOM_UTF8 + page.encode())
    other = la(cli, "submit", "page.ssml", "--voice", "en-US-JennyNeural")
    assert other.code == 1 and "(option --voice)" in other.err and "en-US-GuyNeural" in other.err
    assert len(la(cli, "list", "--json").json()) == before


def test_usage_errors(cli):
    Path("a.txt").write_text(STORY)
    bad_format = la(cli, "submit", "a.txt", "--format", "raw-16khz-16bit-mono-pcm")
    assert bad_format.code == 2
    assert "--format raw-16khz-16bit-mono-pcm is not a Long Audio API format" in bad_format.err
    assert "audio-24khz-160kbitrate-mono-mp3" in bad_format.err
    for option in (("--words",), ("--no-sentences",), ("--id-prefix", "x")):
        refused = la(cli, "submit", "a.txt", *option)
        assert refused.code == 2 and "is a batch synthesis option" in refused.err
    assert la(cli, "submit", "a.txt", "--out", "x").code == 2
    batch_files = cli("files", "some-id")
    assert batch_files.code == 2 and "add --api longaudio" in batch_files.err
    assert cli("--api", "nonsense", "list").code == 2


def test_service_refusals_and_wrong_key(cli):
    Path("a.txt").write_text(STORY)
    unknown = la(cli, "submit", "a.txt", "--voice", "en-US-NobodyNeural")
    assert unknown.code == 1 and unknown.out == ""
    assert "speechdrop: no synthesis was created" in unknown.err
    assert (
        "the speech service refused the request (HTTP 400, InvalidArgument): "
        "This model can't be used in the voice synthesis: en-US-NobodyNeural." in unknown.err
    )
    wrong = la(cli, "--key", "not-the-right-key", "list")
    assert wrong.code == 1 and wrong.out == ""
    assert "the key was refused: check SPEECH_KEY" in wrong.err
    assert "not-the-right-key" not in wrong.err and len(wrong.err.splitlines()) == 1


def test_throttled_after_retries(cli, stack):
    stack.faults(errors={"list": {"429": 1.0}})  # each with Retry-After: 1
    try:
        result = la(cli, "list")
    finally:
        stack.faults(errors={})
    assert result.code == 1 and result.out == ""
    assert "still throttling requests after retries (it asked to wait 1 s)" in result.err
