"""`submit` with ``--api longaudio``: each file -> one Long Audio API synthesis.

The file is the synthesis' ``script``: a .txt file is re-encoded as UTF-8 with a byte order
mark (the API takes nothing else) and every non-blank line is a paragraph; a .ssml/.xml
file is sent as it is, one ``<speak>`` document per line, and must already be UTF-8 with
BOM. The API's documented rules are checked before anything is submitted
(`shared.longaudio.prepare_script`): more than 400 characters, fewer than 10,000
paragraphs, one of its ten output formats (``--format``, default
riff-16khz-16bit-mono-pcm).

The voice is ``--voice`` (plain text: default the ``DEFAULT_VOICE`` setting; SSML: default
the first voice the file names, and ``--voice`` must be one it names); the locale is the
voice's. ``--concatenate`` asks for one audio file instead of one per paragraph. The
display name is the file name. Batch-only options (``--words``, ``--sentences``,
``--id-prefix``) are refused.

``--wait`` polls the syntheses like batch jobs and unpacks each one's
``LongAudioSynthesisResult`` zip into ``DIR/<file name>/``: ``0001.wav``... (or ``.mp3``),
an ``NNNN.err.txt`` per failed paragraph, and a copy of the script. Syntheses are kept at
the service until deleted (``speechdrop --api longaudio delete ID``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.errors import InputError
from shared.longaudio import (
    DEFAULT_FORMAT,
    FORMATS,
    RESULT_KIND,
    Script,
    locale_of,
    prepare_script,
)
from speechdrop import render
from speechdrop.cli import PROG, Context, UsageError
from speechdrop.submit import (
    Poller,
    _File,
    _Job,
    creating,
    download_results,
    finish,
    nothing_submitted,
    prepare_files,
    read_request,
)

__all__ = ["LONG_AUDIO", "submit"]

_BATCH_ONLY = {"words": "--words", "sentences": "--sentences", "id_prefix": "--id-prefix"}


def submit(ctx: Context) -> int:
    args = ctx.args
    for option, flag in _BATCH_ONLY.items():
        if getattr(args, option) is not None:
            raise UsageError(f"{flag} is a batch synthesis option; the Long Audio API has none")
    output_format = (args.output_format or DEFAULT_FORMAT).lower()
    if output_format not in FORMATS:
        raise UsageError(
            f"--format {args.output_format} is not a Long Audio API format; "
            f"choose one of: {', '.join(FORMATS)}"
        )
    request = read_request(ctx)

    def prepare(name: str, data: bytes) -> tuple[dict[str, Any], Script]:
        script = prepare_script(name, data)
        info = {
            "kind": script.kind,
            "voice": _voice(ctx, script),
            "outputFormat": output_format,
            "inputs": script.paragraphs,
            "characters": script.characters,
        }
        return info, script

    files = prepare_files(ctx, request, prepare)
    if files is None:
        return nothing_submitted(ctx)

    created: list[str] = []
    for f in files:
        script, voice = f.payload, f.info["voice"]
        with creating(ctx, created, "synthesis"):
            synthesis = ctx.longaudio.create(
                script=script.data,
                script_name=f.name,
                display_name=f.name,
                description=f"{PROG} cli: {f.name}",
                locale=locale_of(voice) or "",
                voices=[{"voicename": voice}],
                output_format=output_format,
                concatenate=bool(args.concatenate),
            )
        created.append(synthesis["id"])
        f.jobs.append(_Job(synthesis["id"], 0, synthesis.get("status", "NotStarted")))
        if not ctx.json:
            ctx.out.write(synthesis["id"] + "\n")
            ctx.out.flush()
        ctx.note(
            f"{f.name}: 1 synthesis, {script.paragraphs} paragraph(s), "
            f"{script.characters:,} characters, {voice}, {output_format}"
        )
    return finish(ctx, files, request.out_dir, LONG_AUDIO)


def _voice(ctx: Context, script: Script) -> str:
    """The voice to declare for `script` (InputError if --voice does not fit the file)."""
    chosen = ctx.args.voice
    if script.kind == "ssml":
        if chosen is None:
            return script.voices[0]
        if chosen.lower() not in {voice.lower() for voice in script.voices}:
            raise InputError(
                "voice",
                f"The SSML does not use the voice {chosen}; the Long Audio API needs every "
                f"declared voice in the script (it uses {', '.join(script.voices)}).",
                "option --voice",
            )
        return chosen
    voice = chosen or ctx.settings().default_voice
    if locale_of(voice) is None:
        raise InputError(
            "voice",
            f"Cannot tell the locale of the voice {voice!r}: use a short name such as "
            "en-US-JennyNeural.",
            "option --voice" if chosen else "setting DEFAULT_VOICE",
        )
    return voice


def _fetch(ctx: Context, f: _File, job: _Job, synthesis: dict[str, Any], out_dir: Path) -> None:
    job.audio_ms = render.iso_duration_ms((synthesis.get("properties") or {}).get("totalDuration"))
    if job.status == "Failed":
        job.error = "the synthesis failed"
    result = next(
        (item for item in ctx.longaudio.files(job.id) if item.get("kind") == RESULT_KIND), None
    )
    url = ((result or {}).get("links") or {}).get("contentUrl")
    if not url:
        return
    download_results(ctx.longaudio, job, url, out_dir / f.name)
    if job.status == "Failed" and job.folder is not None:
        reports = [name for name in job.files if name.endswith(".err.txt")]
        if reports:
            first = (job.folder / reports[0]).read_text("utf-8", errors="replace").strip()
            paragraph = reports[0].split(".", 1)[0].lstrip("0") or "0"
            job.error = f"{len(reports)} paragraph(s) failed; paragraph {paragraph}: {first}"


LONG_AUDIO = Poller(
    nouns="syntheses",
    get=lambda ctx, synthesis_id: ctx.longaudio.get(synthesis_id),
    fetch=_fetch,
    gone="the synthesis disappeared at the service (deleted)",
)
