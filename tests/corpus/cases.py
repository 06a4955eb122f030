"""A corpus of hostile and broken input files, built in code.

Each `Case` is one file a user (or an attacker with write access to the input container)
might drop: its blob name, bytes and metadata, the error code speechdrop must answer with,
and a substring of the message that tells the user what to fix. `CASES` is used by two
tiers: `tests/corpus/test_corpus.py` (pure: `output_folder_for` + `build_document`) and
`tests/integration/test_hostile_corpus.py` (every file dropped at once into a real app).

All cases are judged with `SETTINGS_ENV` (a small MAX_FILE_BYTES, so that a file over the
limit stays small). `Case.storable` is False for names Storage cannot hold or rewrites
(dot segments are normalised away by the HTTP stack, Azurite turns ``\\`` into ``/`` and
answers 500 for some control characters): those are tested in the unit tier only.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.config import Settings, StorageConnection

__all__ = [
    "CASES",
    "GOOD",
    "KNOWN_VOICES",
    "SETTINGS_ENV",
    "Case",
    "Catalog",
    "corpus_settings",
]

#: App settings the whole corpus is judged with (the integration app gets the same).
SETTINGS_ENV = {"MAX_FILE_BYTES": "65536"}
MAX_FILE_BYTES = int(SETTINGS_ENV["MAX_FILE_BYTES"])
MAX_INPUT_CHARS = 3000  # the default

#: Voices the unit tier's catalog knows (a subset of the emulator's list).
KNOWN_VOICES = frozenset(
    v.lower() for v in ("en-US-AvaMultilingualNeural", "en-US-JennyNeural", "en-GB-SoniaNeural")
)


def corpus_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"max_file_bytes": MAX_FILE_BYTES, **overrides}
    return Settings(
        storage=StorageConnection(connection_string="unused"),
        speech_endpoint="http://127.0.0.1:9",
        **values,  # type: ignore[arg-type]
    )


class Catalog:
    """A voice catalog like the service's: it knows `KNOWN_VOICES`."""

    def is_known(self, voice: str) -> bool | None:
        return voice.lower() in KNOWN_VOICES


@dataclass(frozen=True)
class Case:
    id: str  # pytest id
    name: str  # blob name
    data: bytes
    code: str  # InputError.code
    hint: str  # the message must contain this: it says what to fix
    metadata: Mapping[str, str] = field(default_factory=dict)
    folder: str | None = ""  # output folder; "" = the name itself; None = no folder
    storable: bool = True  # Storage (Azurite) can hold this name as it is

    @property
    def output_folder(self) -> str | None:
        if self.code == "name":
            return None
        return self.folder or self.name


# --- building blocks ---------------------------------------------------------------------

TEXT = "It was a bright cold day in April, and the clocks were striking thirteen.\n"
NS = 'xmlns="http://www.w3.org/2001/10/synthesis"'


def speak(body: str = "Hello there.", voice: str = "en-US-JennyNeural", head: str = "") -> str:
    return (
        f'{head}<speak version="1.0" {NS} xml:lang="en-US">'
        f'<voice name="{voice}">{body}</voice></speak>'
    )


def job(**fields: object) -> bytes:
    document: dict[str, object] = {"inputKind": "PlainText", "inputs": [{"content": "Hello."}]}
    document.update(fields)
    return json.dumps(document).encode()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00\x8b\x8e\x5bW" + b"\x00" * 12 + b"hello.txt"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
GZIP = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcbH\xcd\xc9\xc9\x07\x00"

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">\n'
        for n in range(1, 10)
    )
    + "]>\n"
    + speak("&lol9;")
)

UTF8 = "Please save me as UTF-8"
FIX_ENCODING = "Save the file as UTF-8"
ELSEWHERE = "speechdrop decides where results go"
DTD = "remove the DOCTYPE"

# --- the cases -------------------------------------------------------------------------

CASES: tuple[Case, ...] = (
    # wrong encodings
    Case("latin-1", "enc/latin-1.txt", "Ça ne va pas, garçon.".encode("latin-1"), "encoding",
         "Latin-1"),
    Case("windows-1252", "enc/windows-1252.txt", "“Smart” quotes – cost €5".encode("cp1252"),
         "encoding", "Windows-1252"),
    Case("shift-jis", "enc/shift-jis.txt", "こんにちは、世界。".encode("shift_jis"), "encoding",
         FIX_ENCODING),
    Case("utf16-le-no-bom", "enc/utf16-le.txt", UTF8.encode("utf-16-le"), "encoding",
         "UTF-16 without a byte order mark"),
    Case("utf16-be-no-bom", "enc/utf16-be.txt", UTF8.encode("utf-16-be"), "encoding",
         "UTF-16 without a byte order mark"),
    Case("utf32-bom", "enc/utf32.txt", UTF8.encode("utf-32"), "encoding", "UTF-32"),
    Case("utf32-no-bom", "enc/utf32-le.txt", UTF8.encode("utf-32-le"), "encoding",
         FIX_ENCODING),
    Case("utf16-bom-lone-surrogate", "enc/utf16-surrogate.txt",
         codecs.BOM_UTF16_LE + "Hi ".encode("utf-16-le") + b"\x00\xd8" + "x".encode("utf-16-le"),
         "encoding", "UTF-16"),
    Case("bom-in-middle", "enc/joined.txt",
         codecs.BOM_UTF8 + b"Part one.\n" + codecs.BOM_UTF8 + b"Part two.\n", "encoding",
         "byte order mark in the middle"),
    Case("nul-bytes", "enc/nul.txt", b"Hello\x00world\n", "encoding", "NUL byte"),
    Case("terminal-escape", "enc/escape.txt", b"Hello \x1b[31mred\x1b[0m\n", "encoding",
         "control character U+001B"),
    Case("overlong-utf8", "enc/overlong.txt", b"slash \xc0\xaf here\n", "encoding",
         FIX_ENCODING),
    # binary files renamed
    Case("png-as-txt", "bin/picture.txt", PNG, "encoding", FIX_ENCODING),
    Case("zip-as-txt", "bin/archive.txt", ZIP, "encoding", FIX_ENCODING),
    Case("pdf-as-txt", "bin/document.txt", PDF, "encoding", FIX_ENCODING),
    Case("gzip-as-txt", "bin/compressed.txt", GZIP, "encoding", FIX_ENCODING),
    Case("png-as-ssml", "bin/picture.ssml", PNG, "encoding", FIX_ENCODING),
    Case("zip-as-json", "bin/archive.json", ZIP, "encoding", FIX_ENCODING),
    # nothing to say
    Case("empty-txt", "empty/empty.txt", b"", "empty", "empty"),
    Case("whitespace-only", "empty/blank.txt", b" \n\t\r\n  \n", "empty", "only whitespace"),
    Case("unicode-spaces-only", "empty/spaces.txt", "\u00a0\u2003\n\u3000\n".encode(), "empty",
         "only whitespace"),
    Case("zero-width-only", "empty/zero-width.txt", "\u200b\u200c\n\u2060\n".encode(), "empty",
         "add the text to speak"),
    Case("bom-only", "empty/bom.txt", codecs.BOM_UTF8, "empty", "only whitespace"),
    Case("empty-ssml", "empty/empty.ssml", b"", "empty", "empty"),
    Case("empty-json", "empty/empty.json", b"  \n", "empty", "only whitespace"),
    # sizes
    Case("word-longer-than-an-input", "size/long-word.txt",
         b"Start " + b"a" * (MAX_INPUT_CHARS + 1) + b" end.\n", "size", "Add spaces"),
    Case("json-word-longer-than-an-input", "size/long-word.json",
         job(inputs=[{"content": "b" * (MAX_INPUT_CHARS + 5)}]), "size", "Add spaces"),
    Case("over-max-file-bytes", "size/too-big.txt", b"Hello world. " * (MAX_FILE_BYTES // 13 + 1),
         "size", "Split it"),
    # malformed and hostile SSML
    Case("ssml-unclosed", "ssml/unclosed.ssml", speak().removesuffix("</speak>").encode(),
         "ssml", "before all its elements are closed"),
    Case("ssml-mismatched", "ssml/mismatched.ssml",
         speak().replace("</voice>", "</voic>").encode(), "ssml", "not well-formed"),
    Case("ssml-doctype-file-entity", "ssml/xxe-file.ssml",
         ('<?xml version="1.0"?>\n<!DOCTYPE speak [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
          + speak("&x;")).encode(), "ssml", DTD),
    Case("ssml-doctype-http-entity", "ssml/xxe-http.ssml",
         ('<!DOCTYPE speak [<!ENTITY x SYSTEM "http://169.254.169.254/metadata">]>\n'
          + speak("&x;")).encode(), "ssml", DTD),
    Case("ssml-external-dtd", "ssml/external-dtd.ssml",
         ('<!DOCTYPE speak SYSTEM "http://example.com/evil.dtd">\n' + speak()).encode(), "ssml",
         DTD),
    Case("ssml-parameter-entity", "ssml/parameter-entity.xml",
         ('<!DOCTYPE d [<!ENTITY % p SYSTEM "http://example.com/x">%p;]>\n' + speak()).encode(),
         "ssml", DTD),
    Case("ssml-billion-laughs", "ssml/billion-laughs.ssml", BILLION_LAUGHS.encode(), "ssml", DTD),
    Case("ssml-xinclude", "ssml/xinclude.ssml",
         speak('<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"'
               ' parse="text"/>').encode(), "ssml", "Remove it"),
    Case("ssml-foreign-element", "ssml/svg-inside.ssml",
         speak('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').encode(),
         "ssml", "Remove it"),
    Case("ssml-undefined-entity", "ssml/nbsp.ssml", speak("a&nbsp;b").encode(), "ssml",
         "only &amp;"),
    Case("ssml-unknown-voice", "ssml/unknown-voice.ssml",
         speak(voice="en-US-NobodyNeural").encode(), "voice", "pick one from the voice list"),
    Case("ssml-voice-not-a-name", "ssml/voice-path.ssml", speak(voice="../../etc").encode(),
         "voice", "not an Azure voice name"),
    Case("ssml-html-root", "ssml/page.ssml", b"<html><body>Hello</body></html>", "ssml",
         "must be a <speak> element"),
    Case("ssml-no-namespace", "ssml/no-namespace.xml",
         speak().replace(f" {NS}", "").encode(), "ssml", "must declare xmlns="),
    Case("ssml-metadata-voice", "ssml/metadata-voice.ssml", speak().encode(), "metadata",
         "set it in the SSML instead", {"voice": "en-US-JennyNeural"}),
    # JSON job documents
    Case("json-invalid", "json/invalid.json", b'{"inputKind": "PlainText",\n "inputs": [}', "job",
         "not valid JSON"),
    Case("json-nested-10000", "json/deep.json", b"[" * 10_000 + b"]" * 10_000, "job",
         "nested too deeply"),
    Case("json-top-level-array", "json/array.json", b'[{"content": "hi"}]', "job",
         "must be a JSON object"),
    Case("json-inputs-wrong-type", "json/inputs-string.json", job(inputs="Hello"), "job",
         "non-empty list"),
    Case("json-content-wrong-type", "json/content-number.json", job(inputs=[{"content": 5}]),
         "job", "must be a string"),
    Case("json-flag-wrong-type", "json/flag-string.json",
         job(properties={"wordBoundaryEnabled": "yes"}), "job", "must be true or false"),
    Case("json-ttl-out-of-range", "json/ttl.json", job(properties={"timeToLiveInHours": 10_000}),
         "job", "whole number from 1 to"),
    Case("json-unknown-field", "json/unknown.json", job(webhook="x"), "job",
         "not a field speechdrop accepts"),
    Case("json-duplicate-key", "json/duplicate.json",
         b'{"inputKind": "PlainText", "inputKind": "SSML", "inputs": []}', "job", "appears twice"),
    Case("json-nan", "json/nan.json",
         b'{"inputKind": "PlainText", "inputs": [{"content": "x"}], '
         b'"synthesisConfig": {"styleDegree": NaN}}', "job", "NaN"),
    Case("json-huge-integer", "json/huge-int.json",
         b'{"inputKind": "PlainText", "inputs": [{"content": "x"}], '
         b'"properties": {"timeToLiveInHours": ' + b"9" * 5000 + b"}}", "job", "remove it"),
    Case("json-destination-container-url", "json/destination.json",
         job(properties={"destinationContainerUrl":
                         "https://evil.blob.core.windows.net/loot?sv=2024&sig=abc"}), "job",
         ELSEWHERE),
    Case("json-destination-path", "json/destination-path.json",
         job(properties={"destinationPath": "../../other-tenant/"}), "job", ELSEWHERE),
    Case("json-background-audio", "json/background.json",
         job(synthesisConfig={"backgroundAudio": {"src": "https://evil.example/a.wav"}}), "job",
         ELSEWHERE),
    Case("json-custom-voices", "json/custom-voices.json",
         job(customVoices={"MyVoice": "c1a5e3d2-0000-4000-8000-000000000000"}), "job", ELSEWHERE),
    Case("json-url-valued-description", "json/url-description.json",
         job(description="http://169.254.169.254/latest/meta-data/"), "job", "holds a URL"),
    Case("json-file-url-style", "json/url-style.json",
         job(synthesisConfig={"style": "file:///etc/passwd"}), "job", "holds a URL"),
    Case("json-uri-field", "json/callback.json", job(properties={"callbackUri": "x"}), "job",
         ELSEWHERE),
    Case("json-ssml-with-doctype", "json/ssml-xxe.json",
         job(inputKind="SSML", inputs=[{"content": '<!DOCTYPE s [<!ENTITY a SYSTEM '
                                                   '"file:///etc/passwd">]>' + speak("&a;")}]),
         "ssml", DTD),
    Case("json-ogg-concatenated", "json/ogg.json",
         job(properties={"outputFormat": "ogg-24khz-16bit-mono-opus"}), "job",
         "concatenateResult to false"),
    # metadata with bad values (on a good text)
    Case("meta-unknown-key", "meta/unknown-key.txt", TEXT.encode(), "metadata",
         "speechdrop reads: voice", {"colour": "red"}),
    Case("meta-bad-boolean", "meta/bad-boolean.txt", TEXT.encode(), "metadata",
         "use true/false", {"wordboundary": "maybe"}),
    Case("meta-bad-rate", "meta/bad-rate.txt", TEXT.encode(), "metadata", "-50% to +100%",
         {"rate": "1000%"}),
    Case("meta-bad-pitch", "meta/bad-pitch.txt", TEXT.encode(), "metadata", "+2st",
         {"pitch": "+2 semitones"}),
    Case("meta-bad-voice", "meta/bad-voice.txt", TEXT.encode(), "metadata", "use locale-Name",
         {"voice": "Jenny"}),
    Case("meta-unknown-voice", "meta/unknown-voice.txt", TEXT.encode(), "voice",
         "pick one from the voice list", {"voice": "en-US-NobodyNeural"}),
    Case("meta-unsupported-format", "meta/format.txt", TEXT.encode(), "metadata",
         "use one of: amr-wb-16000hz", {"outputformat": "mp3"}),
    Case("meta-ogg-concatenated", "meta/ogg.txt", TEXT.encode(), "metadata",
         "concatenate=false", {"outputformat": "ogg-24khz-16bit-mono-opus"}),
    Case("meta-empty-style", "meta/empty-style.txt", TEXT.encode(), "metadata",
         "remove it or set a value", {"style": ""}),
    # names
    Case("extension-exe", "names/setup.exe", b"MZ\x90\x00", "extension", "supported: .txt"),
    Case("extension-pdf", "names/paper.pdf", PDF, "extension", "supported: .txt"),
    Case("no-extension", "names/README", TEXT.encode(), "extension", "(no extension)"),
    Case("double-extension", "names/notes.txt.exe", TEXT.encode(), "extension", "'.exe'"),
    Case("dotfile", "names/.txt", TEXT.encode(), "extension", "(no extension)"),
    Case("tab-in-name", "names/tab\there.txt", TEXT.encode(), "name", "rename the file"),
    Case("newline-in-name", "names/fake\nlog line.txt", TEXT.encode(), "name", "rename the file"),
    Case("cr-in-name", "names/cr\rhere.txt", TEXT.encode(), "name", "rename the file"),
    Case("del-in-name", "names/del\x7fhere.txt", TEXT.encode(), "name", "rename the file"),
    Case("soh-in-name", "names/soh\x01.txt", TEXT.encode(), "name", "rename the file",
         storable=False),
    Case("name-over-900", "names/" + "n" * 950 + ".txt", TEXT.encode(), "name", "at most 900"),
    Case("dot-dot-segments", "../../etc/passwd.txt", b"\xff broken", "encoding", FIX_ENCODING,
         folder="%2E%2E/%2E%2E/etc/passwd.txt", storable=False),
    Case("dot-segments-inside", "a/./b/../c.txt", b"\xff broken", "encoding", FIX_ENCODING,
         folder="a/%2E/b/%2E%2E/c.txt", storable=False),
    Case("backslash-dot-dot", "win\\..\\..\\evil.txt", b"\xff broken", "encoding", FIX_ENCODING,
         folder="win%5C..%5C..%5Cevil.txt", storable=False),
    Case("empty-segments", "//lead//double.txt", b"\xff broken", "encoding", FIX_ENCODING,
         folder="%/%/lead/%/double.txt"),
    Case("unicode-name", "книги/名前 ü é.txt", b"\xff broken", "encoding", FIX_ENCODING),
    Case("trailing-dot-name", "names/ends-with-dot.txt.", TEXT.encode(), "extension",
         "(no extension)"),
)  # fmt: skip

#: Files that must be delivered next to the corpus (the app keeps working).
GOOD: Mapping[str, tuple[bytes, Mapping[str, str]]] = {
    "good/plain.txt": (TEXT.encode(), {}),
    "good/speech.ssml": (speak("The clocks were striking thirteen.").encode(), {}),
}
