"""Long Audio API v3.0 contract against a running emulator: every operation, its shapes, the
result zip, signed links, paging, faults and how it sits beside the batch surface.

The input rules, limits and auth are checked in-process (`test_longaudio_rules.py`); the
quickstart-style client in `test_longaudio_client.py`.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import wave
import zipfile
from collections.abc import Iterator

import httpx
import pytest

from tests.emulator.conftest import KEY, Client

BASE = "/api/texttospeech/v3.0/longaudiosynthesis"
BOM = b"\xef\xbb\xbf"
PARAGRAPH = "The rainbow has seven colors, and every child learns their names at school one day."
JENNY = [{"voicename": "en-US-JennyNeural"}]


def script(*paragraphs: str, count: int = 5, bom: bool = True, sep: str = "\n") -> bytes:
    """A script: the paragraphs given, or `count` copies of PARAGRAPH (> 400 characters)."""
    text = sep.join(paragraphs or [PARAGRAPH] * count)
    return (BOM if bom else b"") + text.encode("utf-8")


def speak(text: str, voice: str = "en-US-JennyNeural") -> str:
    return (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
        f'<voice name="{voice}">{text}</voice></speak>'
    )


def form(script_bytes: bytes | None = None, **fields) -> dict:
    """httpx keyword arguments for a submission; a field given as None is left out."""
    data = {
        "displayname": "long audio test",
        "description": "a test",
        "locale": "en-US",
        "voices": json.dumps(JENNY),
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    body = script() if script_bytes is None else script_bytes
    return {"data": data, "files": {"script": ("script.txt", body, "text/plain")}}


def assert_error(response: httpx.Response, status: int, code: str, message: str | None = None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["message"], body
    if message is not None:
        assert body["message"] == message


class LongAudioClient:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.http = httpx.Client(
            base_url=endpoint, headers={"Ocp-Apim-Subscription-Key": KEY}, timeout=30
        )

    def submit(self, script_bytes: bytes | None = None, **fields) -> httpx.Response:
        return self.http.post(BASE, **form(script_bytes, **fields))

    def create(self, script_bytes: bytes | None = None, **fields) -> str:
        response = self.submit(script_bytes, **fields)
        assert response.status_code == 202, response.text
        return response.headers["location"]

    def wait(self, location: str, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.http.get(location)
            assert response.status_code == 200, response.text
            if response.json()["status"] in ("Succeeded", "Failed"):
                return response.json()
            time.sleep(0.05)
        raise AssertionError(f"{location} did not finish within {timeout} s")

    def files(self, location: str) -> dict[str, dict]:
        response = self.http.get(f"{location}/files")
        assert response.status_code == 200, response.text
        return {f["kind"]: f for f in response.json()["values"]}

    def result(self, location: str) -> zipfile.ZipFile:
        url = self.files(location)["LongAudioSynthesisResult"]["links"]["contentUrl"]
        response = httpx.get(url)
        assert response.status_code == 200, response.text
        return zipfile.ZipFile(io.BytesIO(response.content))

    def faults(self, **settings) -> None:
        response = self.http.post("/emulator/faults", json=settings)
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def emu_args() -> tuple[str, ...]:
    return ("--rate-limit", "0", "--long-audio-rate-limit", "0")


@pytest.fixture
def la(emu) -> Iterator[LongAudioClient]:
    c = LongAudioClient(emu.endpoint)
    yield c
    c.http.close()


def test_voices(la: LongAudioClient):
    r = la.http.get(f"{BASE}/voices")
    assert r.status_code == 200
    values = r.json()["values"]
    jenny = next(v for v in values if v["voiceName"] == "en-US-JennyNeural")
    assert jenny == {
        "id": jenny["id"],
        "voiceName": "en-US-JennyNeural",
        "name": "en-US-JennyNeural",
        "description": "",
        "locale": "en-US",
        "gender": "Female",
        "createdDateTime": jenny["createdDateTime"],
        "properties": {"publicAvailable": True},
    }
    uuid.UUID(jenny["id"])
    assert len({v["id"] for v in values}) == len(values) > 30


def test_create_get_files_and_result(la: LongAudioClient, emu):
    r = la.submit(outputformat="riff-24khz-16bit-mono-pcm")
    assert r.status_code == 202, r.text
    location = r.headers["location"]
    synthesis_id = location.rsplit("/", 1)[1]
    assert location == f"{emu.endpoint}{BASE}/{uuid.UUID(synthesis_id)}"
    assert r.json()["id"] == synthesis_id

    done = la.wait(location)
    assert done == {
        "models": [{"voiceName": "en-US-JennyNeural"}],
        "properties": {
            "outputFormat": "riff-24khz-16bit-mono-pcm",
            "concatenateResult": False,
            "totalDuration": done["properties"]["totalDuration"],
            "billableCharacterCount": 5 * len(PARAGRAPH),
        },
        "id": synthesis_id,
        "lastActionDateTime": done["lastActionDateTime"],
        "status": "Succeeded",
        "createdDateTime": done["createdDateTime"],
        "locale": "en-US",
        "displayName": "long audio test",
        "description": "a test",
    }
    assert done["properties"]["totalDuration"].startswith("PT")
    assert done["createdDateTime"].endswith("Z") and done["lastActionDateTime"].endswith("Z")

    files = la.files(location)
    script_file, result_file = files["LongAudioSynthesisScript"], files["LongAudioSynthesisResult"]
    assert set(script_file) == {"name", "kind", "properties", "createdDateTime", "links"}
    assert script_file["name"] == f"{synthesis_id}.txt"
    assert script_file["properties"] == {"size": len(script())}
    assert result_file["name"] == "voicesynthesis_waves.zip"
    assert httpx.get(script_file["links"]["contentUrl"]).content == script()

    archive = la.result(location)
    assert result_file["properties"]["size"] > 0
    names = archive.namelist()
    assert names == [f"000{n}.wav" for n in range(1, 6)] + [f"{synthesis_id}.txt"]
    with wave.open(io.BytesIO(archive.read("0001.wav"))) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (24000, 1, 2)
        assert audio.getnframes() > 24000  # real speech, more than a second
    assert archive.read(f"{synthesis_id}.txt") == script()


def test_concatenated_mp3_and_default_format(la: LongAudioClient):
    location = la.create(outputformat="AUDIO-24KHZ-48KBITRATE-MONO-MP3", concatenateresult="True")
    done = la.wait(location)
    assert done["properties"]["outputFormat"] == "audio-24khz-48kbitrate-mono-mp3"
    assert done["properties"]["concatenateResult"] is True
    names = la.result(location).namelist()
    assert names[0] == "0001.mp3" and len(names) == 2

    default = la.wait(la.create())
    assert default["properties"]["outputFormat"] == "riff-16khz-16bit-mono-pcm"


def test_voice_by_id_and_csharp_field_names(la: LongAudioClient):
    voices = la.http.get(f"{BASE}/voices").json()["values"]
    guy = next(v for v in voices if v["voiceName"] == "en-US-GuyNeural")
    location = la.create(voices=json.dumps([{"id": guy["id"]}]))
    assert la.wait(location)["models"] == [{"id": guy["id"], "voiceName": "en-US-GuyNeural"}]

    # the C# sample: displayName, outputFormat, {"Id": null, "VoiceName": ...} with any case
    r = la.http.post(
        BASE,
        data={
            "displayName": "c#",
            "locale": "en-US",
            "voices": json.dumps([{"Id": None, "VoiceName": "en-us-JennyNeural"}]),
            "outputFormat": "riff-16khz-16bit-mono-pcm",
        },
        files={"script": ("enUSScriptSample.txt", script(), "text/plain")},
    )
    assert r.status_code == 202, r.text
    done = la.wait(r.headers["location"])
    assert done["displayName"] == "c#" and "description" not in done
    assert done["models"] == [{"voiceName": "en-US-JennyNeural"}]


def test_ssml_script_one_document_per_paragraph(la: LongAudioClient):
    text = "Some words for the long audio API, spoken by a voice named in the script itself."
    paragraphs = [speak(text)] * 5 + [speak(text, "en-US-GuyNeural")]
    voices = json.dumps([{"voicename": "en-US-JennyNeural"}, {"voicename": "en-US-GuyNeural"}])
    location = la.create(script(*paragraphs), voices=voices)
    done = la.wait(location)
    assert done["status"] == "Succeeded"
    assert done["properties"]["billableCharacterCount"] == 6 * len(text)
    assert len([n for n in la.result(location).namelist() if n.endswith(".wav")]) == 6


def test_failed_paragraph_fails_the_synthesis_with_an_error_report(la: LongAudioClient):
    text = "A paragraph that names a voice the service does not have, so it cannot be spoken."
    paragraphs = [speak(text)] * 4 + [speak(text, "xx-XX-NobodyNeural")]
    location = la.create(script(*paragraphs))
    done = la.wait(location)
    assert done["status"] == "Failed"
    assert "totalDuration" not in done["properties"]
    archive = la.result(location)
    names = archive.namelist()
    assert names[:5] == ["0001.wav", "0002.wav", "0003.wav", "0004.wav", "0005.err.txt"]
    assert b"xx-XX-NobodyNeural" in archive.read("0005.err.txt")


def test_signed_links(la: LongAudioClient):
    location = la.create()
    la.wait(location)
    url = la.files(location)["LongAudioSynthesisResult"]["links"]["contentUrl"]
    assert "se=" in url and "sig=" in url
    tampered = httpx.get(url.replace("sig=", "sig=x"))
    assert tampered.status_code == 403
    assert tampered.headers["x-ms-error-code"] == "AuthenticationFailed"
    assert httpx.get(url.split("?")[0]).status_code == 403
    assert la.http.delete(location).status_code == 204
    gone = httpx.get(url)
    assert gone.status_code == 404 and gone.headers["x-ms-error-code"] == "BlobNotFound"


def test_list_paging(la: LongAudioClient, emu):
    la.http.post("/emulator/reset")
    locations = [la.create() for _ in range(3)]
    ids = [loc.rsplit("/", 1)[1] for loc in locations]
    for location in locations:
        la.wait(location)
    everything = la.http.get(BASE).json()
    assert [s["id"] for s in everything["values"]] == ids and "@nextLink" not in everything
    assert la.http.get(f"{BASE}/").json() == everything  # the docs' URL ends with a slash

    page = la.http.get(BASE, params={"top": 2}).json()
    assert [s["id"] for s in page["values"]] == ids[:2]
    assert page["@nextLink"] == f"{emu.endpoint}{BASE}/?top=2&skip=2"
    rest = la.http.get(page["@nextLink"]).json()
    assert [s["id"] for s in rest["values"]] == ids[2:] and "@nextLink" not in rest
    assert la.http.get(BASE, params={"skip": 1, "top": 1}).json()["values"][0]["id"] == ids[1]
    for bad in ({"top": 0}, {"top": 101}, {"skip": -1}, {"top": "x"}):
        assert_error(la.http.get(BASE, params=bad), 400, "InvalidArgument")


def test_delete(la: LongAudioClient):
    location = la.create()
    la.wait(location)
    assert la.http.delete(f"{location}/").status_code == 204  # the docs' URL ends with a slash
    not_found = "The specified entity can't be found."
    assert_error(la.http.get(location), 404, "NotFound", not_found)
    assert_error(la.http.get(f"{location}/files"), 404, "NotFound", not_found)
    assert_error(la.http.delete(location), 404, "NotFound", not_found)
    assert_error(la.http.get(f"{BASE}/{uuid.uuid4()}"), 404, "NotFound", not_found)


def test_delete_refused_while_running(la: LongAudioClient):
    la.faults(stuck_job=1.0)
    try:
        location = la.create()
        deadline = time.monotonic() + 10
        while la.http.get(location).json()["status"] != "Running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        r = la.http.delete(location)
        assert_error(r, 400, "InvalidRequest", "The voice synthesis task is still in use.")
        assert r.json()["innerError"]["code"] == "InUseViolation"
        assert "LongAudioSynthesisResult" not in la.files(location)
    finally:
        la.faults(stuck_job=0.0)


def test_request_faults_map_to_operations(la: LongAudioClient):
    location = la.create()
    la.wait(location)
    try:
        la.faults(errors={"create": {"503": 1.0}, "get": {"429": 1.0}})
        r = la.submit()
        assert_error(r, 503, "ServiceUnavailable")
        assert r.headers["retry-after"] == "1"
        assert_error(la.http.get(location), 429, "TooManyRequests")
        assert_error(la.http.get(f"{location}/files"), 429, "TooManyRequests")
        assert la.http.get(BASE).status_code == 200
        la.faults(errors={"list": {"500": 1.0}, "delete": {"503": 1.0}})
        assert_error(la.http.get(BASE), 500, "InternalServerError")
        assert_error(la.http.delete(location), 503, "ServiceUnavailable")
        assert la.http.get(location).status_code == 200
    finally:
        la.faults(errors={})


def test_job_faults(la: LongAudioClient):
    try:
        la.faults(fail_job=1.0)
        location = la.create()
        assert la.wait(location)["status"] == "Failed"
        assert list(la.files(location)) == ["LongAudioSynthesisScript"]
        la.faults(fail_job=0.0, fail_input=1.0)
        location = la.create()
        assert la.wait(location)["status"] == "Failed"
        names = la.result(location).namelist()
        assert [n for n in names if n.endswith(".err.txt")] == [
            f"000{n}.err.txt" for n in range(1, 6)
        ]
    finally:
        la.faults(fail_job=0.0, fail_input=0.0)


def test_beside_the_batch_surface(la: LongAudioClient, emu):
    batch = Client(emu.endpoint)
    try:
        location = la.create()
        synthesis_id = location.rsplit("/", 1)[1]
        la.wait(location)
        assert batch.get(synthesis_id).status_code == 404
        listed = batch.http.get(batch.url("batchsyntheses")).json()["value"]
        assert synthesis_id not in [j["id"] for j in listed]
        stats = la.http.get("/emulator/stats").json()
        assert stats["requests"]["longaudio.create"]["202"] >= 1
        assert stats["longAudio"]["jobs"]["Succeeded"] >= 1
        assert la.http.post("/emulator/reset").status_code == 204
        assert la.http.get(location).status_code == 404
    finally:
        batch.http.close()
