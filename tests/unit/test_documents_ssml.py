"""SSML files and hostile XML: shared.ssml through build_document."""

from __future__ import annotations

import pytest

from shared.config import Settings, StorageConnection
from shared.documents import build_document
from shared.errors import InputError

SETTINGS = Settings(storage=StorageConnection(connection_string="x"), speech_endpoint="http://x")
NS = 'xmlns="http://www.w3.org/2001/10/synthesis"'
HEAD = f'<speak version="1.0" {NS} xml:lang="en-US">'


def speak(body: str = '<voice name="en-US-AvaNeural">Hello there.</voice>') -> str:
    return f"{HEAD}{body}</speak>"


class Catalog:
    def __init__(self, known: dict[str, bool | None]) -> None:
        self.known = known
        self.asked: list[str] = []

    def is_known(self, voice: str) -> bool | None:
        self.asked.append(voice)
        return self.known.get(voice)


def build(text: str, metadata: dict[str, str] | None = None, voices: Catalog | None = None):
    return build_document("in.ssml", text.encode(), metadata or {}, SETTINGS, voices)


def test_several_speak_documents_become_inputs_verbatim() -> None:
    first = speak('<voice name="en-US-AvaNeural">One &amp; <break time="1s"/>two</voice>')
    second = speak(
        '\n  <voice name="en-US-AndrewNeural"><prosody rate="+10%">Three</prosody></voice>\n'
    )
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n{first}\n\n<?xml version="1.0"?>\n{second}\n'
    document = build(text, {"OutputFormat": "riff-24khz-16bit-mono-pcm", "WordBoundary": "no"})
    (job,) = document.jobs
    assert job.input_kind == "SSML"
    assert [i.content for i in job.inputs] == [first, second]
    assert [i.source for i in job.inputs] == [
        "speak document 1 (line 2)",
        "speak document 2 (line 5)",
    ]
    assert [i.characters for i in job.inputs] == [len("One & two"), len("Three")]
    assert job.synthesis_config == {}
    assert job.properties["outputFormat"] == "riff-24khz-16bit-mono-pcm"
    assert job.properties["wordBoundaryEnabled"] is False
    assert job.properties["concatenateResult"] is False
    assert document.kind == "ssml"
    assert document.options.voice == "en-US-AvaNeural"
    assert document.characters == 14
    assert "synthesisConfig" not in job.body("d")


def test_xml_extension_and_mstts_namespace() -> None:
    text = (
        f'<speak version="1.0" {NS} xmlns:mstts="https://www.w3.org/2001/mstts" xml:lang="en-US">'
        '<voice name="en-US-AvaNeural"><mstts:express-as style="cheerful">Hi</mstts:express-as>'
        "</voice></speak>"
    )
    document = build_document("x.XML", text.encode("utf-16"), {}, SETTINGS)
    assert document.jobs[0].inputs[0].content == text


def test_voice_catalog_is_asked_once_per_voice() -> None:
    catalog = Catalog({"en-US-AvaNeural": True, "en-US-AndrewNeural": None})
    body = '<voice name="en-US-AvaNeural">a</voice><voice name="en-US-AndrewNeural">b</voice>'
    build(speak(body) + speak(body), voices=catalog)
    assert sorted(catalog.asked) == ["en-US-AndrewNeural", "en-US-AvaNeural"]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">
<voice name="en-US-AvaNeural">&lol3;</voice></speak>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE speak [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">
<voice name="en-US-AvaNeural">&xxe;</voice></speak>"""

EXTERNAL_DTD = '<!DOCTYPE speak SYSTEM "http://example.com/evil.dtd">\n' + speak()
PARAMETER_ENTITY = '<!DOCTYPE d [<!ENTITY % p SYSTEM "http://example.com/x">%p;]>\n' + speak()
SECOND_DOC_DTD = speak() + '\n<!DOCTYPE speak [<!ENTITY a "b">]>\n' + speak()
LOWERCASE_DOCTYPE = "<!doctype speak>\n" + speak()

HOSTILE = [
    ("billion-laughs", BILLION_LAUGHS, "line 2"),
    ("external-entity", EXTERNAL_ENTITY, "line 2"),
    ("external-dtd", EXTERNAL_DTD, "line 1"),
    ("parameter-entity", PARAMETER_ENTITY, "line 1"),
    ("dtd-before-second-document", SECOND_DOC_DTD, "line 2"),
    ("lowercase-doctype", LOWERCASE_DOCTYPE, "line 1"),
]


@pytest.mark.parametrize(("label", "text", "where"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_xml_is_refused(label: str, text: str, where: str) -> None:
    with pytest.raises(InputError) as caught:
        build(text)
    assert caught.value.code == "ssml"
    assert "DTDs and entities are not allowed in SSML" in caught.value.message
    assert caught.value.where == where


BAD_SSML = [
    ("undeclared-entity", speak('<voice name="en-US-AvaNeural">&nbsp;</voice>'), "ssml",
     "undefined entity", "line 1"),
    ("mismatched", f'{HEAD}\n<voice name="en-US-AvaNeural">x</voic></speak>', "ssml",
     "mismatched tag at line 2", "line 2, column"),
    ("unclosed", f'{HEAD}\n<voice name="en-US-AvaNeural">x</voice>', "ssml", "are closed", "end"),
    ("no-namespace", '<speak version="1.0" xml:lang="en-US"><voice name="en-US-AvaNeural">x'
     "</voice></speak>", "ssml", "xmlns=", "line 1"),
    ("wrong-root", f"<voice {NS} name=\"en-US-AvaNeural\">x</voice>", "ssml", "not <voice>",
     "line 1"),
    ("no-version", f'<speak {NS} xml:lang="en-US"><voice name="en-US-AvaNeural">x</voice></speak>',
     "ssml", 'version="1.0"', "line 1"),
    ("no-lang", f'<speak version="1.0" {NS}><voice name="en-US-AvaNeural">x</voice></speak>',
     "ssml", "xml:lang", "line 1"),
    ("no-voice", speak("Hello"), "ssml", "Text must be inside", "line 1"),
    ("no-voice-element", speak("<!-- nothing -->"), "ssml", "no <voice> element", "line 1"),
    ("voice-without-name", speak("<voice>hi</voice>"), "ssml", "name attribute", "line 1"),
    ("text-between-documents", speak() + "\nstray words\n" + speak(), "ssml", "outside",
     "line 2"),
    ("xml-decl-inside", f'{HEAD}<?xml version="1.0"?><voice name="en-US-AvaNeural">x</voice>'
     "</speak>", "ssml", "XML declaration", "line 1"),
    ("only-comment", "<!-- nothing here -->", "ssml", "No <speak>", None),
    ("form-feed", speak('<voice name="en-US-AvaNeural">a\fb</voice>'), "ssml", "invalid token",
     "line 1"),
    ("bad-voice-name", speak('<voice name="Ava">x</voice>'), "voice", "not an Azure voice name",
     "speak document 1, line 1"),
    ("unknown-voice", speak() + "\n" + speak('<voice name="en-US-NopeNeural">x</voice>'), "voice",
     "en-US-NopeNeural", "speak document 2, line 2"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "text", "code", "message", "where"), BAD_SSML, ids=[c[0] for c in BAD_SSML]
)
def test_bad_ssml(label: str, text: str, code: str, message: str, where: str | None) -> None:
    catalog = Catalog({"en-US-AvaNeural": True, "en-US-NopeNeural": False})
    with pytest.raises(InputError) as caught:
        build(text, voices=catalog)
    assert caught.value.code == code
    assert message in caught.value.message
    if where is None:
        assert caught.value.where is None
    else:
        assert caught.value.where is not None and caught.value.where.startswith(where)


@pytest.mark.parametrize("key", ["voice", "Rate", "PITCH", "style"])
def test_metadata_that_belongs_in_ssml_is_refused(key: str) -> None:
    value = {"voice": "en-US-AvaNeural", "rate": "+10%", "pitch": "high", "style": "sad"}
    with pytest.raises(InputError) as caught:
        build(speak(), {key: value[key.lower()]})
    assert caught.value.code == "metadata"
    assert "set it in the SSML instead" in caught.value.message
    assert caught.value.where == f"metadata key {key!r}"


def test_deeply_nested_ssml_is_handled() -> None:
    body = '<voice name="en-US-AvaNeural">' + "<p>" * 5000 + "x" + "</p>" * 5000 + "</voice>"
    document = build(speak(body))
    assert document.characters == 1
