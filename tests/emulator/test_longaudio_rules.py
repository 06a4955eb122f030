"""Long Audio API input rules, limits, rate limit and auth, in-process (httpx's ASGI
transport runs no lifespan: no worker, so syntheses stay NotStarted and nothing is synthesised)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from emulator.app import create_app
from emulator.config import Config
from emulator.longaudio import iso_duration
from emulator.longaudio_script import FORMATS
from tests.emulator.test_longaudio import BASE, BOM, JENNY, assert_error, form, script, speak

NOT_BOM = (
    "The voice synthesis only supports the text file in the UTF-8 encoding with the "
    "byte-order marker."
)
TOO_SHORT = "The input file should be more than 400 characters."
TOO_MANY = "The number of paragraphs in the input file should be less than 10,000."
NOT_SSML = "Only valid SSML inputs are allowed in the voice synthesis request."


class InProcess:
    """A synchronous client of one app instance (its own event loop)."""

    def __init__(self, config: Config) -> None:
        self.app = create_app(config)
        self.emulator = self.app.state.emulator
        self._loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=self.app)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def delete(self, url: str, **kwargs) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@contextmanager
def client(**config) -> Iterator[InProcess]:
    config.setdefault("long_audio_rate_limit", 0)
    instance = InProcess(Config(**config))
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture(scope="module")
def tc() -> Iterator[InProcess]:
    with client() as instance:
        yield instance


def paragraphs(tc: InProcess, response) -> list[str]:
    assert response.status_code == 202, response.text
    job = tc.emulator.store.get(response.json()["id"], "longaudio")
    return [item["content"] for item in job.definition["inputs"]]


def test_created_synthesis_waits_with_only_its_script(tc: InProcess):
    r = tc.post(BASE, **form())
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "NotStarted" and body["models"] == [{"voiceName": "en-US-JennyNeural"}]
    assert r.headers["location"] == f"http://testserver{BASE}/{body['id']}"
    files = tc.get(f"{BASE}/{body['id']}/files").json()["values"]
    assert [f["kind"] for f in files] == ["LongAudioSynthesisScript"]
    r = tc.delete(f"{BASE}/{body['id']}")
    assert_error(r, 400, "InvalidRequest", "The voice synthesis task is still in use.")
    assert r.json()["innerError"] == {"code": "InUseViolation", "message": r.json()["message"]}


@pytest.mark.parametrize(
    "body",
    [
        script(bom=False),
        BOM + b"\xff\xfe not utf-8 " + b"x" * 500,
        "\ufeff".encode("utf-16") + ("x" * 500).encode("utf-16-le"),
        b"",
    ],
    ids=["no-bom", "bom-then-not-utf8", "utf16-bom", "empty"],
)
def test_script_must_be_utf8_with_bom(tc: InProcess, body):
    assert_error(tc.post(BASE, **form(body)), 400, "InvalidRequest", NOT_BOM)


def test_more_than_400_characters(tc: InProcess):
    assert_error(tc.post(BASE, **form(script("x" * 400))), 400, "InvalidRequest", TOO_SHORT)
    assert tc.post(BASE, **form(script("x" * 401))).status_code == 202
    # line breaks and blank lines are not characters
    spaced = script(*["y" * 80] * 5, sep="\r\n\r\n")
    assert_error(tc.post(BASE, **form(spaced)), 400, "InvalidRequest", TOO_SHORT)


def test_fewer_than_10000_paragraphs(tc: InProcess):
    assert_error(tc.post(BASE, **form(script(count=10_000))), 400, "InvalidRequest", TOO_MANY)
    assert len(paragraphs(tc, tc.post(BASE, **form(script(count=9_999))))) == 9_999


def test_paragraphs_split_at_any_line_break(tc: InProcess):
    body = BOM + ("a" * 150 + "\r\n" + "b" * 150 + "\r" + "c" * 150 + "\n\n \n" + "d").encode()
    assert paragraphs(tc, tc.post(BASE, **form(body))) == ["a" * 150, "b" * 150, "c" * 150, "d"]


def test_ssml_rules(tc: InProcess):
    text = "x" * 90
    good = [speak(text)] * 5
    assert paragraphs(tc, tc.post(BASE, **form(script(*good)))) == good
    broken = script(*good[:4], "<speak><voice name='en-US-JennyNeural'>unclosed</speak>")
    assert_error(tc.post(BASE, **form(broken)), 400, "InvalidRequest", NOT_SSML)
    # SSML counts billable characters, not tags: 4 x 90 text characters are too few
    assert_error(tc.post(BASE, **form(script(*good[:4]))), 400, "InvalidRequest", TOO_SHORT)
    voices = json.dumps(JENNY + [{"voicename": "en-US-GuyNeural"}])
    r = tc.post(BASE, **form(script(*good), voices=voices))
    message = "The voice name en-US-GuyNeural isn't found in the input file."
    assert_error(r, 400, "InvalidRequest", message)


@pytest.mark.parametrize("name", FORMATS)
def test_documented_formats(tc: InProcess, name):
    r = tc.post(BASE, **form(outputformat=name.upper()))
    assert r.status_code == 202 and r.json()["properties"]["outputFormat"] == name


def test_default_format(tc: InProcess):
    r = tc.post(BASE, **form())
    assert r.json()["properties"] == {
        "outputFormat": "riff-16khz-16bit-mono-pcm",
        "concatenateResult": False,
    }


@pytest.mark.parametrize(
    "name",
    ["raw-24khz-16bit-mono-pcm", "ogg-24khz-16bit-mono-opus", "riff-22050hz-16bit-mono-pcm", "x"],
)
def test_other_formats_refused(tc: InProcess, name):
    assert_error(tc.post(BASE, **form(outputformat=name)), 400, "InvalidArgument")


def test_voice_identities(tc: InProcess):
    r = tc.post(BASE, **form(voices=json.dumps([{"voicename": "xx-XX-NobodyNeural"}])))
    message = "This model can't be used in the voice synthesis: xx-XX-NobodyNeural."
    assert_error(r, 400, "InvalidArgument", message)
    unknown = str(uuid.uuid4())
    r = tc.post(BASE, **form(voices=json.dumps([{"id": unknown}])))
    message = f"The model declared in the voice synthesis definition can't be found: {unknown}."
    assert_error(r, 404, "NotFound", message)
    for bad in ("not json", "[]", '{"voicename": "en-US-JennyNeural"}', '[{"style": "x"}]'):
        assert_error(tc.post(BASE, **form(voices=bad)), 400, "InvalidArgument")


def test_locale(tc: InProcess):
    r = tc.post(BASE, **form(locale="de-DE"))
    assert_error(
        r,
        400,
        "InvalidArgument",
        "The voice 'en-US-JennyNeural' does not support the locale 'de-DE'.",
    )
    assert tc.post(BASE, **form(locale="EN-us")).json()["locale"] == "en-US"


@pytest.mark.parametrize("field", ["displayname", "locale", "voices"])
def test_required_fields(tc: InProcess, field):
    r = tc.post(BASE, **form(**{field: None}))
    assert_error(r, 400, "InvalidRequest", f"'{field}' is required.")


def test_script_required_and_multipart_only(tc: InProcess):
    r = tc.post(BASE, data=form()["data"])
    assert_error(r, 415, "InvalidRequest")
    r = tc.post(BASE, json=form()["data"])
    assert_error(r, 415, "InvalidRequest")
    r = tc.post(BASE, data=form()["data"], files={"other": ("a.txt", b"x", "text/plain")})
    assert_error(r, 400, "InvalidRequest", "The 'script' file is required.")


def test_concatenateresult_values(tc: InProcess):
    for value, expected in (("True", True), ("false", False), ("1", True), ("0", False)):
        r = tc.post(BASE, **form(concatenateresult=value))
        assert r.json()["properties"]["concatenateResult"] is expected
    assert_error(tc.post(BASE, **form(concatenateresult="maybe")), 400, "InvalidArgument")


def test_120_active_syntheses_then_429():
    with client() as tc:
        _active_limit(tc)


def _active_limit(tc: InProcess) -> None:
    for _ in range(120):
        assert tc.post(BASE, **form()).status_code == 202
    r = tc.post(BASE, **form())
    message = "Exceed the active voice synthesis limit. Wait until some requests finish."
    assert_error(r, 429, "TooManyRequests", message)
    assert tc.get(BASE, params={"top": 100}).json()["@nextLink"].endswith("?top=100&skip=100")


def test_stored_synthesis_limit():
    with client() as tc:
        tc.emulator.long_audio.max_stored = 2
        assert [tc.post(BASE, **form()).status_code for _ in range(2)] == [202, 202]
        r = tc.post(BASE, **form())
    message = (
        "Exceed the 2 request limit for the Azure account. Remove some requests before "
        "submitting new ones."
    )
    assert_error(r, 400, "InvalidRequest", message)


def test_five_requests_per_second_beside_the_batch_limit():
    with client(long_audio_rate_limit=5) as tc:  # 5/s here, 100 per 10 s on the batch side
        _rate_limit(tc)


def _rate_limit(tc: InProcess) -> None:
    assert [tc.get(f"{BASE}/voices").status_code for _ in range(5)] == [200] * 5
    r = tc.get(f"{BASE}/voices")
    assert_error(r, 429, "TooManyRequests", "There are too many requests.")
    assert r.headers["retry-after"] == "1"
    assert tc.get("/texttospeech/batchsyntheses?api-version=2024-04-01").status_code == 200
    assert tc.post("/emulator/faults", json={"long_audio_rate_limit": 0}).status_code == 200
    assert tc.get(f"{BASE}/voices").status_code == 200
    assert tc.post("/emulator/faults", json={"long_audio_rate_limit": "x"}).status_code == 400
    assert tc.get("/emulator/stats").json()["longAudio"]["rateLimit"]["limit"] == 0


def test_auth_uses_the_subscription_key():
    with client(key="k") as tc:
        _auth(tc)


def _auth(tc: InProcess) -> None:
    assert_error(tc.get(f"{BASE}/voices"), 401, "Unauthorized")
    r = tc.get(f"{BASE}/voices", headers={"Ocp-Apim-Subscription-Key": "wrong"})
    assert_error(r, 401, "Unauthorized")
    assert tc.get(f"{BASE}/voices", headers={"Ocp-Apim-Subscription-Key": "k"}).status_code == 200


@pytest.mark.parametrize(
    "ms, text",
    [
        (0, "PT0S"),
        (1000, "PT1S"),
        (357_252, "PT5M57.252S"),
        (3_600_000, "PT1H"),
        (3_661_500, "PT1H1M1.5S"),
    ],
)
def test_iso_duration(ms, text):
    assert iso_duration(ms) == text
