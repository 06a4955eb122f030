"""End to end through the app's own trigger functions, against Azurite and the emulator."""

from __future__ import annotations

import io
import time
import wave
from contextlib import closing

import pytest

from shared.audio import parse_format, split_piece
from shared.jobs import file_id_for
from shared.speech import SpeechClient

pytestmark = pytest.mark.integration

CHAPTER = (
    "It was a bright cold day in April, and the clocks were striking thirteen.\n"
    "The hallway smelt of boiled cabbage and old rag mats.\n"
    "At one end of it a coloured poster, too large for indoor display, had been tacked "
    "to the wall.\n"
)

WRAPPED = (
    "Call me Ishmael. Some years ago, never mind how long precisely, having\n"
    "little or no money in my purse, and nothing particular to interest me\n"
    "on shore, I thought I would sail about a little and see the watery part\n"
    "of the world.\n"
    "\n"
    "It is a way I have of driving off the spleen and regulating the\n"
    "circulation. Whenever I find myself growing grim about the mouth.\n"
)


def _wav_duration_ms(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as audio:
        return 1000 * audio.getnframes() / audio.getframerate()


def _check_timings(words: list[dict], duration_ms: float) -> None:
    offsets = [w["AudioOffset"] for w in words]
    assert offsets == sorted(offsets)
    assert all(
        0 <= w["AudioOffset"] and w["AudioOffset"] + w["Duration"] <= duration_ms + 50
        for w in words
    )


def _assert_in_text_order(words: list[dict], text: str) -> None:
    """The timed words are the text's words, in the text's order (a subsequence)."""
    remaining = iter(word.strip(".,").lower() for word in text.split())
    spoken = [w["Text"].strip(".,").lower() for w in words]
    assert len(spoken) > len(text.split()) // 2
    assert all(word in remaining for word in spoken), spoken


def test_text_file_becomes_audio_timings_and_manifest(make_app, stack):
    app = make_app()
    etag = app.drop("books/chapter1.txt", CHAPTER.encode())

    statuses = app.runner.run_until_settled(["books/chapter1.txt"], interval=0.5, timeout=120)

    assert statuses["books/chapter1.txt"]["state"] == "delivered"
    folder = "books/chapter1.txt"
    assert app.output_names(folder) == {
        "audio.mp3",
        "words.json",
        "sentences.json",
        "manifest.json",
    }
    manifest = app.output_json(f"{folder}/manifest.json")
    assert manifest["status"] == "delivered"
    assert manifest["source"] == {
        "container": app.env["INPUT_CONTAINER"],
        "name": folder,
        "etag": etag,
        "kind": "text",
    }
    assert manifest["inputs"] == 3 and manifest["billableCharacters"] > 100
    assert set(manifest["times"]) >= {"accepted", "submitted", "delivering", "written"}

    audio = app.output.download_blob(f"{folder}/audio.mp3").readall()
    duration = split_piece(parse_format("audio-24khz-96kbitrate-mono-mp3"), audio).duration_ms
    assert manifest["audio"]["durationMs"] == pytest.approx(duration, abs=2)
    words = len(CHAPTER.split())
    assert 100 * words < duration < 1000 * words  # plausible speech, not silence or a stub
    timings = app.output_json(f"{folder}/words.json")
    _check_timings(timings, duration)
    _assert_in_text_order(timings, CHAPTER)

    # the input is untouched, and its jobs are gone from the service
    assert app.input.get_blob_client("books/chapter1.txt").get_blob_properties().etag == etag
    prefix = f"sd-{file_id_for(folder, etag)}"
    with closing(SpeechClient(stack.emulator.endpoint, key=stack.emulator.key)) as speech:
        assert not [job for job in speech.list() if job["id"].startswith(prefix)]


def test_duplicate_events_create_one_job(make_app, stack):
    app = make_app()
    app.drop("dup.txt", CHAPTER.encode())
    creates_before = stack.stats()["requests"]["create"]
    for _ in range(3):
        app.runner.deliver_event("dup.txt")
    assert sum(stack.stats()["requests"]["create"].values()) - sum(creates_before.values()) == 1
    app.runner.run_until_settled(["dup.txt"], interval=0.5, timeout=120)
    for _ in range(2):  # late duplicates after delivery change nothing
        app.runner.deliver_event("dup.txt")
    assert sum(stack.stats()["requests"]["create"].values()) - sum(creates_before.values()) == 1
    _, recent = app.runner.get("jobs")
    assert [r["state"] for r in recent["value"]] == ["delivered"]


def test_multi_job_file_becomes_one_audio_file_in_order(make_app):
    app = make_app(MAX_INPUTS_PER_JOB="2")
    app.drop(
        "moby.txt",
        WRAPPED.encode() + b"\n" + CHAPTER.encode(),
        outputformat="riff-16khz-16bit-mono-pcm",
    )

    status = app.runner.run_until_settled(["moby.txt"], interval=0.5, timeout=120)["moby.txt"]

    assert status["state"] == "delivered"
    assert status["progress"]["jobs"] >= 2
    manifest = app.output_json("moby.txt/manifest.json")
    assert len(manifest["jobs"]) == status["progress"]["jobs"]
    duration = _wav_duration_ms(app.output.download_blob("moby.txt/audio.wav").readall())
    assert manifest["audio"]["durationMs"] == pytest.approx(duration, abs=2)
    words = app.output_json("moby.txt/words.json")
    _check_timings(words, duration)
    spoken = [w["Text"].strip(".,").lower() for w in words]
    # hard-wrapped lines read as one paragraph, and parts keep the file's order
    for earlier, later in [("ishmael", "spleen"), ("spleen", "bright"), ("bright", "poster")]:
        assert spoken.index(earlier) < spoken.index(later)


def test_bad_file_gets_error_report_and_others_keep_flowing(make_app):
    app = make_app()
    bad = "Ça ne va pas.".encode("latin-1")
    app.drop("bad.txt", bad)
    app.drop("good.txt", CHAPTER.encode())

    statuses = app.runner.run_until_settled(["bad.txt", "good.txt"], interval=0.5, timeout=120)

    assert statuses["good.txt"]["state"] == "delivered"
    assert statuses["bad.txt"]["state"] == "failed"
    report = app.output_json("bad.txt/error.json")
    assert report["error"]["code"] == "encoding"
    assert "UTF-8" in report["error"]["message"]
    assert app.output_json("bad.txt/manifest.json")["status"] == "failed"
    assert app.input.download_blob("bad.txt").readall() == bad


def test_unknown_voice_is_reported_before_any_job(make_app, stack):
    app = make_app()
    app.drop("voice.txt", CHAPTER.encode(), voice="en-US-NobodyNeural")
    status = app.runner.run_until_settled(["voice.txt"], interval=0.5, timeout=60)["voice.txt"]
    assert status["state"] == "failed" and status["error"]["code"] in ("voice", "metadata")
    assert "en-US-NobodyNeural" in app.output_json("voice.txt/error.json")["error"]["message"]


def test_failed_input_at_the_service_names_the_input(make_app, stack):
    app = make_app()
    stack.faults(fail_input=1.0, seed=7)
    app.drop("fails.txt", CHAPTER.encode())
    status = app.runner.run_until_settled(["fails.txt"], interval=0.5, timeout=120)["fails.txt"]
    assert status["state"] == "failed"
    report = app.output_json("fails.txt/error.json")
    assert report["error"]["code"] == "synthesis"
    assert "input 1" in report["error"]["message"]
    assert app.input.download_blob("fails.txt").readall() == CHAPTER.encode()


def test_throttling_and_server_errors_still_deliver(make_app, stack):
    app = make_app()
    stack.faults(errors={"*": {"429": 0.3, "500": 0.15, "503": 0.1}}, seed=11)
    for n in range(3):
        app.drop(f"flaky-{n}.txt", CHAPTER.encode())
    statuses = app.runner.run_until_settled(
        [f"flaky-{n}.txt" for n in range(3)], interval=0.5, timeout=180
    )
    assert {s["state"] for s in statuses.values()} == {"delivered"}
    answered = {code for by_code in stack.stats()["requests"].values() for code in by_code}
    assert answered & {"429", "500", "503"}


def test_status_endpoint_never_shows_urls(make_app):
    app = make_app()
    app.drop("s.txt", CHAPTER.encode())
    app.runner.run_until_settled(["s.txt"], interval=0.5, timeout=120)
    code, status = app.runner.get("jobs/s.txt")
    assert code == 200 and status["outputs"]["manifest"] == "manifest.json"
    assert "http" not in str(status) and "sig=" not in str(status)
    assert app.runner.get("jobs/never-seen.txt")[0] == 404


def test_failed_inputs_are_retried_on_their_own(make_app, stack):
    app = make_app()
    text = "".join(f"Paragraph number {n} has a few words to say.\n" for n in range(1, 13))
    stack.faults(fail_input=0.5)
    app.drop("retry.txt", text.encode(), outputformat="riff-16khz-16bit-mono-pcm")
    app.runner.deliver_new_events()
    for _ in range(120):  # until the first job finished and its failed inputs were requeued
        app.runner.tick()
        status = app.runner.get("jobs/retry.txt")[1]
        if status["progress"]["jobs"] > 1 or status["state"] in ("delivered", "failed"):
            break
        time.sleep(0.25)
    stack.faults(fail_input=0)

    status = app.runner.run_until_settled(["retry.txt"], interval=0.5, timeout=120)["retry.txt"]

    assert status["state"] == "delivered"
    manifest = app.output_json("retry.txt/manifest.json")
    assert len(manifest["jobs"]) == 2, "one job, then one retry job for its failed inputs"
    assert manifest["inputs"] == 12
    words = app.output_json("retry.txt/words.json")
    numbers = [w["Text"] for w in words if w["Text"].isdigit()]
    assert numbers == [str(n) for n in range(1, 13)]
    audio = app.output.download_blob("retry.txt/audio.wav").readall()
    assert manifest["audio"]["durationMs"] == pytest.approx(_wav_duration_ms(audio), abs=2)


# twelve paragraphs; six to a job keeps each job over the Long Audio API's 400 characters
LONG_CHAPTER = "".join(
    f"Paragraph {n} of the long chapter, with enough words to be worth a listener's time.\n"
    for n in range(1, 13)
)


@pytest.mark.parametrize("backend", ["batch", "longaudio"])
def test_each_backend_delivers_one_audio_file_and_manifest(make_app, backend):
    app = make_app(SYNTHESIS_BACKEND=backend, MAX_INPUTS_PER_JOB="6")
    app.drop("both.txt", LONG_CHAPTER.encode(), outputformat="riff-24khz-16bit-mono-pcm")
    app.drop("short.txt", b"Too short for Long Audio.\n")

    statuses = app.runner.run_until_settled(["both.txt", "short.txt"], interval=0.5, timeout=180)

    status = statuses["both.txt"]
    assert status["state"] == "delivered" and status["progress"]["jobs"] == 2
    manifest = app.output_json("both.txt/manifest.json")
    audio = app.output.download_blob("both.txt/audio.wav").readall()
    duration = _wav_duration_ms(audio)
    assert manifest["audio"]["durationMs"] == pytest.approx(duration, abs=2)
    assert 100 * len(LONG_CHAPTER.split()) < duration < 1000 * len(LONG_CHAPTER.split())
    assert manifest["billableCharacters"] > 400
    if backend == "batch":
        _check_timings(app.output_json("both.txt/words.json"), duration)
        assert statuses["short.txt"]["state"] == "delivered"
    else:  # the Long Audio API has no boundaries, and its own input rules
        assert "timings" not in manifest
        assert statuses["short.txt"]["error"]["code"] == "size"
        assert "backend=batch" in app.output_json("short.txt/error.json")["error"]["message"]


def test_a_new_version_replaces_the_old_outputs_entirely(make_app):
    app = make_app()
    three = "First paragraph here.\nSecond paragraph here.\nThird paragraph here.\n"
    app.drop("v.txt", three.encode(), concatenate="false", outputformat="riff-16khz-16bit-mono-pcm")
    app.runner.run_until_settled(["v.txt"], interval=0.5, timeout=120)
    assert {"audio/0003.wav", "words.json"} <= app.output_names("v.txt")

    app.drop("v.txt", b"Only one paragraph now.\n", wordboundary="false")
    app.runner.deliver_new_events()
    status = app.runner.run_until_settled(["v.txt"], interval=0.5, timeout=120)["v.txt"]

    assert status["state"] == "delivered"
    assert app.output_names("v.txt") == {"audio.mp3", "sentences.json", "manifest.json"}

    app.drop("v.txt", b"\xff\xfe not text")  # a broken third version: only its report stays
    app.runner.run_until_settled(["v.txt"], interval=0.5, timeout=60)
    assert app.output_names("v.txt") == {"error.json", "manifest.json"}
