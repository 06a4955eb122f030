"""Contract tests: every operation and every error, against a running emulator."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.emulator.conftest import API, KEY, Client, plain, speak, ssml


def new_id() -> str:
    return f"job-{uuid.uuid4().hex[:12]}"


def assert_error(response: httpx.Response, status: int, code: str, inner: str | None = None):
    assert response.status_code == status, response.text
    assert response.headers["x-ms-error-code"] == code
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    if inner:
        assert error["innererror"]["code"] == inner


def test_create_returns_201_with_operation_headers(client: Client, emu):
    job_id = new_id()
    r = client.put(job_id, plain("Hello."), **{"Operation-Id": f"op-{job_id}"})
    assert r.status_code == 201, r.text
    assert r.headers["operation-id"] == f"op-{job_id}"
    assert r.headers["operation-location"] == (
        f"{emu.endpoint}/texttospeech/operations/op-{job_id}?{API}"
    )
    body = r.json()
    assert body["id"] == job_id and body["status"] == "NotStarted"
    assert body["properties"]["outputFormat"] == "riff-24khz-16bit-mono-pcm"
    assert body["properties"]["timeToLiveInHours"] == 744
    assert body["createdDateTime"].endswith("Z") and "inputs" not in body
    op = client.http.get(r.headers["operation-location"])
    assert op.status_code == 200 and op.json()["id"] == f"op-{job_id}"
    client.wait(job_id)
    assert client.http.get(r.headers["operation-location"]).json()["status"] == "Succeeded"


def test_operation_id_generated_when_absent(client: Client):
    r = client.put(new_id(), plain("Hi."))
    assert r.status_code == 201
    uuid.UUID(r.headers["operation-id"])


def test_existing_id_is_rejected(client: Client):
    job_id = new_id()
    assert client.put(job_id, plain("One.")).status_code == 201
    assert_error(client.put(job_id, plain("Two.")), 400, "BadRequest", "AlreadyExists")


def test_operation_id_reuse(client: Client):
    job_id, op = new_id(), f"op-{uuid.uuid4().hex}"
    first = client.put(job_id, plain("Same."), **{"Operation-Id": op})
    assert first.status_code == 201
    again = client.put(job_id, plain("Same."), **{"Operation-Id": op})
    assert again.status_code == 201 and again.json()["id"] == job_id  # identical retry
    r = client.put(job_id, plain("Different."), **{"Operation-Id": op})
    assert_error(r, 400, "BadRequest", "OperationIdConflict")
    r = client.put(new_id(), plain("Same."), **{"Operation-Id": op})
    assert_error(r, 400, "BadRequest", "OperationIdConflict")
    r = client.put(new_id(), plain("x"), **{"Operation-Id": "-bad-"})
    assert_error(r, 400, "BadArgument", "InvalidOperationId")


@pytest.mark.parametrize("bad", ["ab", "-abc", "abc-", "a" * 65, "a b c", "abc!"])
def test_bad_ids(client: Client, bad):
    assert_error(client.put(bad, plain("x")), 400, "BadArgument", "InvalidId")


def test_get_and_delete_not_found(client: Client):
    assert_error(client.get("no-such-job"), 404, "NotFound")
    assert_error(client.delete("no-such-job"), 404, "NotFound")
    r = client.http.get(f"/texttospeech/operations/no-such-op?{API}")
    assert_error(r, 404, "NotFound")


def test_delete_finished_job(client: Client):
    job_id = new_id()
    client.put(job_id, plain("Delete me."))
    client.wait(job_id)
    r = client.delete(job_id)
    assert r.status_code == 204 and r.content == b""
    assert_error(client.get(job_id), 404, "NotFound")
    assert client.put(job_id, plain("Reuse the id.")).status_code == 201


def test_delete_unfinished_job_is_refused(client: Client):
    client.faults(stuck_job=1.0)
    try:
        job_id = new_id()
        client.put(job_id, plain("Stuck."))
        assert_error(client.delete(job_id), 400, "BadRequest", "InvalidJobState")
    finally:
        client.faults(stuck_job=0.0)


def test_list_paging(client: Client, emu):
    ids = [new_id() for _ in range(3)]
    for job_id in ids:
        client.put(job_id, plain("Listed."))
    total = len(client.http.get(client.url("batchsyntheses")).json()["value"])
    assert total >= 3
    seen, url = [], client.url("batchsyntheses?maxpagesize=2")
    while url:
        page = client.http.get(url).json()
        assert len(page["value"]) <= 2
        seen += [j["id"] for j in page["value"]]
        url = page.get("nextLink")
        if url:
            assert url.startswith(f"{emu.endpoint}/texttospeech/batchsyntheses?")
            assert "api-version=2024-04-01" in url
    assert len(seen) == total and set(ids) <= set(seen)
    skipped = client.http.get(client.url("batchsyntheses?skip=1&maxpagesize=100")).json()
    assert len(skipped["value"]) == total - 1 and "nextLink" not in skipped
    for bad in ("maxpagesize=101", "maxpagesize=0", "skip=-1", "skip=x"):
        r = client.http.get(client.url(f"batchsyntheses?{bad}"))
        assert_error(r, 400, "BadArgument", "InvalidPaging")


def test_api_version_required_and_checked(client: Client):
    assert_error(
        client.http.get("/texttospeech/batchsyntheses"), 400, "BadRequest", "MissingApiVersion"
    )
    r = client.http.get("/texttospeech/batchsyntheses?api-version=2023-09-01")
    assert_error(r, 400, "BadRequest", "UnsupportedApiVersion")


def test_auth(emu):
    anonymous = httpx.get(f"{emu.endpoint}/texttospeech/batchsyntheses?{API}")
    assert_error(anonymous, 401, "Unauthorized")
    wrong = httpx.get(
        f"{emu.endpoint}/texttospeech/batchsyntheses?{API}",
        headers={"Ocp-Apim-Subscription-Key": "wrong"},
    )
    assert_error(wrong, 401, "Unauthorized")
    assert KEY not in wrong.text
    jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwcyJ9.c2ln"
    bearer = httpx.get(
        f"{emu.endpoint}/texttospeech/batchsyntheses?{API}",
        headers={"Authorization": f"Bearer {jwt}"},
    )
    assert bearer.status_code == 200
    not_jwt = httpx.get(
        f"{emu.endpoint}/texttospeech/batchsyntheses?{API}",
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert_error(not_jwt, 401, "Unauthorized")


@pytest.mark.parametrize(
    ("body", "code", "inner"),
    [
        ({"inputs": [{"content": "x"}]}, "BadRequest", "MissingProperty"),
        ({"inputKind": "Text", "inputs": [{"content": "x"}]}, "BadArgument", "InvalidInputKind"),
        (
            {"inputKind": "PlainText", "synthesisConfig": {"voice": "v"}},
            "BadRequest",
            "EmptyInputs",
        ),
        (
            {"inputKind": "PlainText", "synthesisConfig": {"voice": "v"}, "inputs": []},
            "BadRequest",
            "EmptyInputs",
        ),
        (
            {
                "inputKind": "PlainText",
                "synthesisConfig": {"voice": "v"},
                "inputs": [{"content": " "}],
            },
            "BadArgument",
            "EmptyInput",
        ),
        ({"inputKind": "PlainText", "inputs": [{"content": "x"}]}, "BadRequest", "MissingVoice"),
        (ssml("<speak><voice name='x'>unclosed</speak>"), "BadArgument", "InvalidSsml"),
        (
            ssml('<!DOCTYPE x [<!ENTITY a "b">]><speak><voice name="v">&a;</voice></speak>'),
            "BadArgument",
            "InvalidSsml",
        ),
        (plain("x", outputFormat="riff-99khz"), "BadArgument", "InvalidOutputFormat"),
        (
            plain("x", outputFormat="ogg-24khz-16bit-mono-opus"),
            "BadArgument",
            "UnsupportedOutputFormat",
        ),
        (plain("x", timeToLiveInHours=745), "BadArgument", "InvalidTimeToLive"),
        (
            plain("x", destinationContainerUrl="https://acct.blob.core.windows.net/c"),
            "BadArgument",
            "InvalidDestinationContainerUrl",
        ),
        (
            plain("x", destinationContainerUrl="http://example.com/c?sig=abc"),
            "BadArgument",
            "InvalidDestinationContainerUrl",
        ),
        (
            {**plain("x"), "customVoices": {"my-voice": "0000-dep"}},
            "BadArgument",
            "InvalidCustomVoice",
        ),
    ],
)
def test_create_validation(client: Client, body, code, inner):
    assert_error(client.put(new_id(), body), 400, code, inner)


def test_too_many_inputs(client: Client):
    body = plain(*(["x"] * 10_001))
    assert_error(client.put(new_id(), body), 400, "BadArgument", "TooManyInputs")


def test_payload_limit_and_media_type(client: Client):
    body = plain("x" * 2_000_001)
    r = client.put(new_id(), body)
    assert_error(r, 413, "BadRequest", "PayloadTooLarge")
    r = client.http.put(
        client.url(f"batchsyntheses/{new_id()}"),
        content=b"inputKind=PlainText",
        headers={"Content-Type": "text/plain"},
    )
    assert_error(r, 415, "UnsupportedMediaType")
    r = client.http.put(
        client.url(f"batchsyntheses/{new_id()}"),
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert_error(r, 400, "BadRequest", "InvalidJson")


def test_unknown_voice_fails_the_job_naming_the_voice(client: Client):
    job_id = new_id()
    client.put(job_id, plain("Hello.", voice="en-US-NoSuchNeural"))
    job = client.wait(job_id)
    assert job["status"] == "Failed"
    assert "en-US-NoSuchNeural" in job["properties"]["error"]["message"]
    assert job["properties"]["failedAudioCount"] == 1
    assert job["properties"]["succeededAudioCount"] == 0


def test_unknown_voice_in_one_ssml_input_fails_only_that_input(client: Client):
    job_id = new_id()
    client.put(job_id, ssml(speak("Good."), speak("Bad.", voice="xx-XX-NobodyNeural")))
    job = client.wait(job_id)
    assert job["status"] == "Succeeded"
    assert job["properties"]["succeededAudioCount"] == 1
    assert job["properties"]["failedAudioCount"] == 1


def test_unknown_route_and_method(client: Client):
    assert_error(client.http.get("/texttospeech/nothing"), 404, "NotFound")
    r = client.http.post(client.url("batchsyntheses/abc"))
    assert r.status_code == 405 and r.headers["x-ms-error-code"] == "BadRequest"


def test_voice_list(client: Client):
    r = client.http.get("/cognitiveservices/voices/list")
    assert r.status_code == 200
    voices = r.json()
    jenny = next(v for v in voices if v["ShortName"] == "en-US-JennyNeural")
    assert jenny["Gender"] == "Female" and jenny["Locale"] == "en-US"
    assert {"Name", "DisplayName", "LocaleName", "VoiceType", "Status", "WordsPerMinute"} <= set(
        jenny
    )
    assert httpx.get(f"{client.endpoint}/cognitiveservices/voices/list").status_code == 401


def test_stats_counts_requests_and_jobs(client: Client):
    client.get("never-there")
    stats = client.http.get("/emulator/stats").json()
    assert stats["requests"]["get"]["404"] >= 1
    assert isinstance(stats["jobs"], dict)


def test_injected_request_faults(client: Client):
    try:
        client.faults(errors={"list": {"503": 1.0}, "get": {"429": 1.0}})
        r = client.http.get(client.url("batchsyntheses"))
        assert_error(r, 503, "ServiceUnavailable")
        r = client.get("anything")
        assert_error(r, 429, "TooManyRequests")
        assert r.headers["retry-after"] == "1"
        client.faults(errors={"*": {"500": 1.0}})
        assert_error(client.delete("anything"), 500, "InternalServerError")
    finally:
        client.faults(errors={})
    assert client.http.get(client.url("batchsyntheses")).status_code == 200
    bad = client.http.post("/emulator/faults", json={"fail_job": 3})
    assert bad.status_code == 400
    bad = client.http.post("/emulator/faults", json={"no_such_setting": 1})
    assert bad.status_code == 400


def test_injected_job_and_input_failures(client: Client):
    try:
        client.faults(fail_job=1.0)
        job_id = new_id()
        client.put(job_id, plain("Fails."))
        job = client.wait(job_id)
        assert job["status"] == "Failed"
        assert job["properties"]["error"]["code"] == "InternalServerError"
        client.faults(fail_job=0.0, fail_input=1.0)
        job_id = new_id()
        client.put(job_id, plain("One.", "Two."))
        job = client.wait(job_id)
        assert job["status"] == "Failed" and job["properties"]["failedAudioCount"] == 2
    finally:
        client.faults(fail_job=0.0, fail_input=0.0)


def test_slow_responses(client: Client):
    import time

    try:
        client.faults(slow_ms=300)
        started = time.monotonic()
        client.get("slow-job")
        assert time.monotonic() - started >= 0.3
    finally:
        client.faults(slow_ms=0)
