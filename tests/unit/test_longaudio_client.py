"""The Long Audio API v3.0 client over a scripted transport, and its input rules."""

import codecs
import io
from email.parser import BytesParser
from email.policy import HTTP

import httpx
import pytest

from shared.errors import InputError, SpeechServiceError, ThrottledError, TransientError
from shared.longaudio import LongAudioClient, locale_of, prepare_script
from shared.speech import RestClient, SpeechClient

BASE = "https://westus.customvoice.api.speech.microsoft.com"
PATH = "/api/texttospeech/v3.0/longaudiosynthesis"
SYNTHESIS = {"id": "5e1b0b0c-0000-4000-8000-000000000001", "status": "NotStarted"}


class Script:
    """Answers requests from a list of (status, headers, body) and records them."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        status, headers, body = self.answers.pop(0)
        if isinstance(body, bytes):
            return httpx.Response(status, headers=headers, content=body)
        return httpx.Response(status, headers=headers, json=body)


@pytest.fixture
def make():
    clients = []

    def build(script, sleeps=None, **kwargs):
        kwargs.setdefault("key", "secret-key")
        client = LongAudioClient(
            BASE,
            http=httpx.Client(transport=httpx.MockTransport(script)),
            sleep=(sleeps.append if sleeps is not None else lambda s: None),
            **kwargs,
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def form(request: httpx.Request) -> dict[str, tuple[str | None, bytes]]:
    header = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(header + request.content)
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    }


def create(client, **overrides):
    arguments = {
        "script": codecs.BOM_UTF8 + b"Hello.\n" * 80,
        "display_name": "chapter.txt",
        "locale": "en-US",
        "voices": [{"voicename": "en-US-JennyNeural"}],
        "output_format": "audio-24khz-96kbitrate-mono-mp3",
        "concatenate": True,
        "description": "speechdrop",
    }
    return client.create(**{**arguments, **overrides})


def test_shares_the_rest_client_with_the_batch_client():
    assert issubclass(LongAudioClient, RestClient) and issubclass(SpeechClient, RestClient)
    with pytest.raises(ValueError, match="LongAudioClient needs a key or a credential"):
        LongAudioClient(BASE)


def test_create_posts_multipart_with_the_script_and_fields(make):
    location = f"{BASE}{PATH}/{SYNTHESIS['id']}"
    script = Script((202, {"Location": location}, SYNTHESIS))
    assert create(make(script)) == SYNTHESIS
    (request,) = script.requests
    assert request.method == "POST" and request.url.path == PATH
    assert "api-version" not in request.url.params  # the version is in the path
    assert request.headers["Ocp-Apim-Subscription-Key"] == "secret-key"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    fields = form(request)
    assert fields["script"] == ("script.txt", codecs.BOM_UTF8 + b"Hello.\n" * 80)
    assert {name: value for name, (_, value) in fields.items() if name != "script"} == {
        "displayname": b"chapter.txt",
        "description": b"speechdrop",
        "locale": b"en-US",
        "voices": b'[{"voicename": "en-US-JennyNeural"}]',
        "outputformat": b"audio-24khz-96kbitrate-mono-mp3",
        "concatenateresult": b"true",
    }


def test_create_reads_the_synthesis_from_location_when_the_body_is_empty(make):
    location = f"{BASE}{PATH}/{SYNTHESIS['id']}"
    script = Script((202, {"Location": location}, b""), (200, {}, SYNTHESIS))
    client = make(script)
    assert create(client, concatenate=False)["id"] == SYNTHESIS["id"]
    assert str(script.requests[1].url) == location
    assert script.requests[1].headers["Ocp-Apim-Subscription-Key"] == "secret-key"
    assert form(script.requests[0])["concatenateresult"][1] == b"false"
    assert client.request_counts == {"create": 1, "get": 1}


def test_create_takes_the_id_from_a_relative_location(make):
    script = Script((202, {"Location": f"{PATH}/abc-1"}, {"status": "NotStarted"}))
    assert create(make(script))["id"] == "abc-1"


def test_create_is_not_retried_when_it_may_have_been_done(make):
    script = Script((500, {}, {"code": "InternalServerError", "message": "boom"}))
    with pytest.raises(TransientError, match="may have been done"):
        create(make(script))
    assert len(script.requests) == 1


def test_create_is_retried_on_429_and_503_honouring_retry_after(make):
    sleeps = []
    script = Script(
        (429, {"Retry-After": "2"}, {"code": "TooManyRequests", "message": "slow down"}),
        (503, {"Retry-After": "1"}, {"code": "ServiceUnavailable", "message": "busy"}),
        (202, {"Location": f"{BASE}{PATH}/x1"}, {"id": "x1", "status": "NotStarted"}),
    )
    client = make(script, sleeps)
    assert create(client)["id"] == "x1"
    assert sleeps == [2.0, 1.0] and client.request_counts == {"create": 3}


def test_create_refusal_is_a_service_error_with_the_v3_code(make):
    body = {
        "code": "InvalidRequest",
        "message": "The input file should be more than 400 characters.",
        "innerError": {"code": "ScriptTooShort", "message": "..."},
    }
    with pytest.raises(SpeechServiceError) as error:
        create(make(Script((400, {}, body))))
    assert (error.value.status, error.value.code) == (400, "InvalidRequest")
    assert error.value.message == body["message"]
    assert "secret-key" not in str(error.value)


def test_throttling_beyond_the_budget_raises_throttled_with_retry_after(make):
    script = Script((429, {"Retry-After": "60"}, {"code": "TooManyRequests", "message": "x"}))
    with pytest.raises(ThrottledError) as error:
        make(script).get("s")
    assert error.value.retry_after == 60.0


def test_5xx_on_reads_is_retried_then_transient(make):
    sleeps = []
    script = Script(*[(503, {}, {})] * 4)
    with pytest.raises(TransientError):
        make(script, sleeps).files("s")
    assert len(script.requests) == 4 and len(sleeps) == 3


def test_not_found_is_none_or_false_and_a_refused_delete_raises(make):
    missing = {"code": "NotFound", "message": "The specified entity can't be found."}
    in_use = {
        "code": "InvalidRequest",
        "message": "The voice synthesis task is still in use.",
        "innerError": {"code": "InUseViolation", "message": "..."},
    }
    script = Script((404, {}, missing), (404, {}, missing), (400, {}, in_use), (204, {}, b""))
    client = make(script)
    assert client.get("gone") is None
    assert client.delete("gone") is False
    with pytest.raises(SpeechServiceError) as error:
        client.delete("busy")
    assert error.value.status == 400 and "still in use" in error.value.message
    assert client.delete("done") is True
    assert [r.url.path for r in script.requests][-1] == f"{PATH}/done"
    assert client.request_counts == {"get": 1, "delete": 3}


def test_files_a_batch_style_404_body_is_read_too(make):
    body = {"error": {"code": "NotFound", "message": "no route"}}
    with pytest.raises(SpeechServiceError) as error:
        make(Script((404, {}, body))).files("x")
    assert error.value.code == "NotFound"


def test_list_follows_next_link_and_voices_reads_values(make):
    script = Script(
        (200, {}, {"values": [{"id": "a"}], "@nextLink": f"{BASE}{PATH}/?top=1&skip=1"}),
        (200, {}, {"values": [{"id": "b"}]}),
        (200, {}, {"values": [{"voiceName": "en-US-JennyNeural", "locale": "en-US"}]}),
        (200, {}, {"values": [{"name": "s.txt", "kind": "LongAudioSynthesisScript"}]}),
    )
    client = make(script)
    assert [s["id"] for s in client.list(top=1)] == ["a", "b"]
    assert script.requests[0].url.params["top"] == "1"
    assert script.requests[1].url.params["skip"] == "1"
    assert client.voices()[0]["voiceName"] == "en-US-JennyNeural"
    assert script.requests[2].url.path == f"{PATH}/voices"
    assert client.files("s")[0]["kind"] == "LongAudioSynthesisScript"
    assert script.requests[3].url.path == f"{PATH}/s/files"
    assert client.request_counts == {"list": 2, "voices": 1, "files": 1}


def test_download_uses_no_auth_and_an_expired_link_names_only_the_synthesis():
    def serve(request):
        assert "Ocp-Apim-Subscription-Key" not in request.headers
        if request.url.params.get("sig") == "expired":
            return httpx.Response(403)
        return httpx.Response(200, content=b"PK" * 5000)

    with LongAudioClient(
        BASE, key="k", http=httpx.Client(transport=httpx.MockTransport(serve))
    ) as client:
        sink = io.BytesIO()
        assert client.download("s1", "https://blob/r.zip?sig=ok", sink) == 10000
        with pytest.raises(SpeechServiceError) as error:
            client.download("s1", "https://blob/r.zip?sig=expired", sink)
    assert error.value.code == "ResultUnavailable"
    assert "synthesis s1" in str(error.value) and "sig=" not in str(error.value)


# -- input rules -----------------------------------------------------------------------

BOM = codecs.BOM_UTF8
LONG = "The fox ran home through the dark and quiet wood, where nothing stirred. " * 3


def test_text_is_re_encoded_as_utf8_with_bom():
    data = (LONG + "\r\n\r\n" + LONG + "\n").encode("utf-16")
    script = prepare_script("story.txt", data)
    assert script.kind == "text" and script.paragraphs == 2
    assert script.data == codecs.BOM_UTF8 + (LONG + "\r\n\r\n" + LONG + "\n").encode()
    assert script.characters == 2 * len(LONG)
    already = codecs.BOM_UTF8 + LONG.encode() * 2
    assert prepare_script("b.txt", already).data == already  # no second BOM


def ssml(text: str, voice: str = "en-US-JennyNeural") -> str:
    return (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
        f'<voice name="{voice}">{text}</voice></speak>'
    )


def test_ssml_is_sent_as_it_is_one_document_per_line():
    text = ssml(LONG) + "\n\n" + ssml(LONG, "en-US-GuyNeural") + "\n"
    data = codecs.BOM_UTF8 + text.encode()
    script = prepare_script("book.ssml", data)
    assert script.data == data and script.kind == "ssml" and script.paragraphs == 2
    assert script.voices == ("en-US-JennyNeural", "en-US-GuyNeural")
    assert script.characters == 2 * len(LONG.strip())


@pytest.mark.parametrize(
    ("name", "data", "code", "where"),
    [
        ("a.json", b"{}", "extension", "a.json"),
        ("a.txt", b"  \n", "empty", None),
        ("a.txt", b"Too short.", "size", None),
        ("a.txt", b"x\n" * 10_000, "size", None),
        ("a.ssml", ssml(LONG).encode(), "encoding", None),
        ("a.ssml", codecs.BOM_UTF8 + ssml("Hi.").encode(), "size", None),
        ("a.xml", BOM + b'<?xml version="1.0"?>' + ssml(LONG).encode(), "ssml", "line 1"),
        ("a.ssml", BOM + ssml(LONG).replace("<voice", "\n<voice").encode(), "ssml", "line 1"),
        ("a.ssml", BOM + (ssml(LONG) + "\n" + ssml(LONG)[:-3]).encode(), "ssml", "line 2"),
    ],
)
def test_input_rules_are_checked_up_front(name, data, code, where):
    with pytest.raises(InputError) as error:
        prepare_script(name, data)
    assert error.value.code == code and error.value.where == where


def test_locale_of_a_voice():
    assert locale_of("en-US-JennyNeural") == "en-US"
    assert locale_of("zh-CN-XiaoxiaoNeural") == "zh-CN"
    assert locale_of("Jenny") is None
