"""The backend boundary: Long Audio scripts, rules and results in the batch layout."""

import io
import json
import zipfile

import pytest

from shared.backends import _rewrite_as_batch, _script, _voices_of, check_long_audio
from shared.config import Settings
from shared.documents import build_document
from shared.errors import InputError

SETTINGS = Settings.from_env({"SPEECHDROP_STORAGE": "x=y", "SPEECH_ENDPOINT": "http://s"})
LONG_TEXT = "\n".join(f"Paragraph {n} says something worth hearing aloud." for n in range(12))


def _document(text: str, name: str = "a.txt", **metadata: str):
    return build_document(name, text.encode(), metadata, SETTINGS)


def test_script_is_one_paragraph_a_line_in_utf8_with_bom():
    request = _document(LONG_TEXT).jobs[0]
    script = _script(request)
    assert script.startswith(b"\xef\xbb\xbf")
    assert script[3:].decode().split("\n") == LONG_TEXT.split("\n")


def test_ssml_documents_go_on_one_line_each_with_their_voices_declared():
    ssml = (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">\n'
        '  <voice name="en-US-AvaMultilingualNeural">Hello\n there.</voice>\n</speak>\n'
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-GB">'
        '<voice name="en-GB-SoniaNeural">Good day.</voice></speak>\n'
    )
    request = _document(ssml, "a.ssml").jobs[0]
    lines = _script(request)[3:].decode().split("\n")
    assert len(lines) == 2 and all(line.startswith("<speak") for line in lines)
    assert _voices_of(request) == ["en-US-AvaMultilingualNeural", "en-GB-SoniaNeural"]


@pytest.mark.parametrize(
    ("text", "metadata", "needle"),
    [
        ("Too short.", {}, "more than 400"),
        (LONG_TEXT, {"outputformat": "riff-44100hz-16bit-mono-pcm"}, "cannot produce"),
    ],
)
def test_long_audio_rules_say_what_to_do(text, metadata, needle):
    try:
        document = _document(text, **metadata)
    except InputError as error:  # a format the batch API does not know either
        assert "output format" in error.message
        return
    with pytest.raises(InputError) as error:
        check_long_audio(document.jobs, document.options.output_format)
    assert needle in error.value.message and "backend=batch" in error.value.message


def test_long_audio_accepts_a_long_enough_file_in_its_formats():
    document = _document(LONG_TEXT, outputformat="riff-24khz-16bit-mono-pcm", backend="longaudio")
    assert document.options.backend == "longaudio"
    check_long_audio(document.jobs, document.options.output_format)


def test_long_audio_results_are_rewritten_in_the_batch_layout():
    source = io.BytesIO()
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("0002.wav", b"RIFF-two")
        archive.writestr("0001.wav", b"RIFF-one")
        archive.writestr("0003.err.txt", "voice not available for this paragraph")
        archive.writestr("abc.txt", "the script, copied back")
    target = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as rewritten:
        _rewrite_as_batch("sd-job", original, rewritten)
    with zipfile.ZipFile(target) as result:
        summary = json.loads(result.read("summary.json"))
        assert result.read("0001.wav") == b"RIFF-one"
    assert summary["jobID"] == "sd-job" and summary["status"] == "Failed"
    assert [entry["status"] for entry in summary["results"]] == [
        "Succeeded",
        "Succeeded",
        "Failed",
    ]
    assert summary["results"][2]["errorMessage"] == "voice not available for this paragraph"


def test_backend_metadata_is_checked():
    with pytest.raises(InputError) as error:
        _document(LONG_TEXT, backend="fax")
    assert error.value.code == "metadata" and "batch or longaudio" in error.value.message
