"""A client written like the official Python sample (Azure-Samples/cognitive-services-
speech-sdk, samples/batch-synthesis/python/synthesis.py) works with only the endpoint
changed: PUT with a chosen id and Ocp-Apim-Subscription-Key, poll GET, download the zip."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile

import httpx

from tests.emulator.conftest import KEY

API_VERSION = "2024-04-01"


def test_official_sample_flow(emu):
    speech_endpoint = emu.endpoint  # the only change from the sample
    job_id = str(uuid.uuid4())
    url = f"{speech_endpoint}/texttospeech/batchsyntheses/{job_id}?api-version={API_VERSION}"
    header = {"Content-Type": "application/json", "Ocp-Apim-Subscription-Key": KEY}
    payload = {
        "inputKind": "PlainText",
        "synthesisConfig": {"voice": "en-US-AvaMultilingualNeural"},
        "customVoices": {},
        "inputs": [{"content": "In my younger and more vulnerable years."}],
        "properties": {"outputFormat": "audio-24khz-160kbitrate-mono-mp3"},
    }
    response = httpx.put(url, content=json.dumps(payload), headers=header)
    assert response.status_code < 400, response.text
    assert response.json()["id"] == job_id

    status = None
    for _ in range(200):
        response = httpx.get(url, headers={"Ocp-Apim-Subscription-Key": KEY})
        assert response.status_code < 400
        status = response.json()["status"]
        if status in ("Succeeded", "Failed"):
            break
        time.sleep(0.1)
    assert status == "Succeeded"

    list_url = (
        f"{speech_endpoint}/texttospeech/batchsyntheses?api-version={API_VERSION}"
        "&skip=0&maxpagesize=100"
    )
    listed = httpx.get(list_url, headers={"Ocp-Apim-Subscription-Key": KEY})
    assert job_id in [j["id"] for j in listed.json()["value"]]

    result_url = response.json()["outputs"]["result"]
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(result_url).content))
    assert sorted(archive.namelist()) == ["0001.mp3", "summary.json"]
