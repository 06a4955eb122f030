"""A client written the way the Long Audio API docs' Python client works ("Synthesize long-form
text to speech", long_audio_synthesis_client.py: get_voices, submit_synthesis, get_synthesis,
get_files, get all syntheses, delete_synthesis) runs against the emulator with only its base
URL changed — and within the service's 5 requests per second (the emulator's default here)."""

from __future__ import annotations

import io
import json
import ntpath
import time
import zipfile

import httpx
import pytest

from tests.emulator.conftest import KEY

POLL_SECONDS = 1  # the docs poll "in a loop"; the samples sleep 10-30 s between polls
TEXT = (
    "Many long-form workflows were built on the Long Audio API. "
    "It takes a whole book chapter, paragraph by paragraph, and returns the audio in a zip."
)


@pytest.fixture(scope="module")
def emu_args() -> tuple[str, ...]:
    return ("--rate-limit", "0")  # the Long Audio limit stays at its default, 5 per second


def test_docs_python_client_flow(emu, tmp_path):
    base_url = emu.endpoint  # the only change: 'https://{region}.customvoice.api.speech...'
    key = KEY
    header = {"Ocp-Apim-Subscription-Key": key}
    input_file_path = tmp_path / "chapter.txt"
    input_file_path.write_text("\n".join([TEXT] * 4), encoding="utf-8-sig")

    def get_voices():
        url = f"{base_url}/api/texttospeech/v3.0/longaudiosynthesis/voices"
        return httpx.get(url, headers=header)

    def submit_synthesis(voice_name: str):
        url = f"{base_url}/api/texttospeech/v3.0/longaudiosynthesis"
        voice_identities = [{"voicename": voice_name}]
        payload = {
            "displayname": "long audio synthesis sample",
            "description": "sample description",
            "locale": "en-US",
            "voices": json.dumps(voice_identities),
            "outputformat": "riff-16khz-16bit-mono-pcm",
            "concatenateresult": True,
        }
        filename = ntpath.basename(str(input_file_path))
        with open(input_file_path, "rb") as script:
            files = {"script": (filename, script, "text/plain")}
            return httpx.post(url, data=payload, headers=header, files=files)

    def get_synthesis(url: str):
        return httpx.get(url, headers=header)

    def get_files(synthesis_id: str):
        url = f"{base_url}/api/texttospeech/v3.0/longaudiosynthesis/{synthesis_id}/files"
        return httpx.get(url, headers=header)

    def get_all_syntheses():
        url = f"{base_url}/api/texttospeech/v3.0/longaudiosynthesis/"
        return httpx.get(url, headers=header)

    def delete_synthesis(synthesis_id: str):
        url = f"{base_url}/api/texttospeech/v3.0/longaudiosynthesis/{synthesis_id}/"
        return httpx.delete(url, headers=header)

    voices = get_voices()
    assert voices.status_code == 200
    names = [v["voiceName"] for v in voices.json()["values"] if v["properties"]["publicAvailable"]]
    assert "en-US-AriaNeural" in names

    response = submit_synthesis("en-US-AriaNeural")
    assert response.status_code == 202, response.text
    location = response.headers["Location"]

    synthesis = None
    for _ in range(30):
        time.sleep(POLL_SECONDS)
        response = get_synthesis(location)
        assert response.status_code == 200, response.text
        synthesis = response.json()
        if synthesis["status"] in ("Succeeded", "Failed"):
            break
    assert synthesis is not None and synthesis["status"] == "Succeeded"
    assert synthesis["properties"]["concatenateResult"] is True
    assert synthesis["properties"]["billableCharacterCount"] == 4 * len(TEXT)

    files = get_files(synthesis["id"])
    assert files.status_code == 200
    result = next(f for f in files.json()["values"] if f["kind"] == "LongAudioSynthesisResult")
    content = httpx.get(result["links"]["contentUrl"]).content
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.namelist() == ["0001.wav", f"{synthesis['id']}.txt"]
    assert len(archive.read("0001.wav")) > 16000 * 2 * 5  # 16 kHz, 16 bit, > 5 s of speech

    listed = get_all_syntheses()
    assert listed.status_code == 200
    assert synthesis["id"] in [s["id"] for s in listed.json()["values"]]

    assert delete_synthesis(synthesis["id"]).status_code == 204
