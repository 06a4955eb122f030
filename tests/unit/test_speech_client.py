"""The batch synthesis client's retry, auth and error behaviour, over a scripted transport."""

import io
from types import SimpleNamespace

import httpx
import pytest

from shared.errors import SpeechServiceError, ThrottledError, TransientError
from shared.speech import SpeechClient


class Script:
    """Answers requests from a list of (status, headers, json) and records them."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, headers, body = self.answers.pop(0)
        return httpx.Response(status, headers=headers, json=body)


def client(script, sleeps=None, **kwargs):
    kwargs.setdefault("key", "secret-key")
    return SpeechClient(
        "https://speech.example",
        http=httpx.Client(transport=httpx.MockTransport(script)),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        **kwargs,
    )


def test_create_sends_key_and_api_version():
    script = Script((201, {}, {"id": "j1", "status": "NotStarted"}))
    assert client(script).create("j1", {"inputKind": "PlainText"})["id"] == "j1"
    request = script.requests[0]
    assert request.method == "PUT"
    assert request.url.path == "/texttospeech/batchsyntheses/j1"
    assert request.url.params["api-version"] == "2024-04-01"
    assert request.headers["Ocp-Apim-Subscription-Key"] == "secret-key"


def test_429_honours_retry_after_then_succeeds():
    sleeps = []
    script = Script((429, {"Retry-After": "2"}, {}), (200, {}, {"id": "j", "status": "Running"}))
    assert client(script, sleeps).get("j")["status"] == "Running"
    assert sleeps == [2.0]


def test_throttling_beyond_the_budget_raises_throttled_with_retry_after():
    script = Script((429, {"Retry-After": "60"}, {}))
    with pytest.raises(ThrottledError) as error:
        client(script).get("j")
    assert error.value.retry_after == 60.0


def test_5xx_is_retried_then_transient():
    sleeps = []
    script = Script(*[(503, {}, {})] * 4)
    with pytest.raises(TransientError):
        client(script, sleeps).delete("j")
    assert len(script.requests) == 4 and len(sleeps) == 3


def test_4xx_is_a_service_error_with_code_and_no_secret():
    script = Script((400, {}, {"error": {"code": "BadRequest", "message": "voice unknown"}}))
    with pytest.raises(SpeechServiceError) as error:
        client(script).create("j", {})
    assert (error.value.status, error.value.code) == (400, "BadRequest")
    assert "secret-key" not in str(error.value)


def test_not_found_is_none_or_false():
    script = Script((404, {}, {"error": {"code": "NotFound", "message": "x"}}), (404, {}, {}))
    c = client(script)
    assert c.get("gone") is None
    assert c.delete("gone") is False


def test_list_follows_next_link():
    script = Script(
        (
            200,
            {},
            {
                "value": [{"id": "a"}],
                "nextLink": "https://speech.example/texttospeech/batchsyntheses?skip=1&maxpagesize=1&api-version=2024-04-01",
            },
        ),
        (200, {}, {"value": [{"id": "b"}]}),
    )
    assert [job["id"] for job in client(script).list(max_page_size=1)] == ["a", "b"]
    assert script.requests[1].url.params["skip"] == "1"


def test_bearer_token_is_fetched_once_and_refreshed_near_expiry():
    tokens = []

    class Credential:
        def get_token(self, *scopes):
            tokens.append(scopes)
            return SimpleNamespace(
                token=f"t{len(tokens)}", expires_on=0 if len(tokens) == 1 else 1e12
            )

    script = Script(*[(200, {}, {"id": "j", "status": "Running"})] * 3)
    c = client(script, key=None, credential=Credential())
    for _ in range(3):
        c.get("j")
    assert tokens == [("https://cognitiveservices.azure.com/.default",)] * 2
    assert script.requests[-1].headers["Authorization"] == "Bearer t2"


def test_download_streams_and_expired_link_is_reported_without_the_url():
    def serve(request):
        if request.url.params.get("sig") == "expired":
            return httpx.Response(403)
        return httpx.Response(200, content=b"zipbytes" * 1000)

    c = SpeechClient("https://s", key="k", http=httpx.Client(transport=httpx.MockTransport(serve)))
    sink = io.BytesIO()
    assert c.download("j", "https://blob/r.zip?sig=ok", sink) == 8000
    with pytest.raises(SpeechServiceError) as error:
        c.download("j", "https://blob/r.zip?sig=expired", sink)
    assert "sig=" not in str(error.value) and error.value.code == "ResultUnavailable"
