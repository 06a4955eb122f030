"""`submit`: files -> batch synthesis jobs, optionally waiting and unpacking the results.

Files follow the pipeline's conventions: each is built with
`shared.documents.build_document`, the options becoming the blob metadata keys the
pipeline reads (``voice``, ``outputformat``, ``concatenate``, ``wordboundary``,
``sentenceboundary``). Every file is validated before anything is submitted; a file too
large for one job becomes several jobs. Job ids are
``<prefix>-<file stem>-<UTC time>-<random>[-<part>]``, within the service's id rule.

With ``--wait`` the jobs are polled (GET every ``--interval`` seconds; 429 answers are
honoured by the client, and a throttled poll is simply tried again later), progress goes
to stderr, and each finished job's ``outputs.result`` zip is unpacked into
``DIR/<file name>/`` (``DIR/<file name>/part-NNN/`` when the file needed several jobs).
The results are the service's own files (``0001.wav``, ``0001.word.json``,
``summary.json``, ...); jobs are left at the service, where they expire.

With ``--api longaudio`` the command is `speechdrop.longaudio.submit`, which shares the
checks, the waiting, the unpacking and the report below.
"""

from __future__ import annotations

import argparse
import re
import secrets
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from shared.documents import build_document
from shared.errors import InputError, SpeechdropError, TransientError
from shared.speech import RestClient, ServiceVoices
from speechdrop import render
from speechdrop.cli import PROG, Context, OperationFailed, UsageError

__all__ = ["JOB_ID", "Poller", "add_arguments", "job_id", "submit"]

#: The service's rule for batch synthesis ids.
JOB_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,62}[a-zA-Z0-9]$")
_PREFIX = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,15}$")
_FINISHED = ("Succeeded", "Failed")
_MAX_POLL_FAILURES = 5
#: Flags -> the blob metadata keys the pipeline reads.
_METADATA = {
    "voice": "voice",
    "output_format": "outputformat",
    "concatenate": "concatenate",
    "words": "wordboundary",
    "sentences": "sentenceboundary",
}
_FLAG_NAMES = {
    "voice": "--voice",
    "outputformat": "--format",
    "concatenate": "--concatenate",
    "wordboundary": "--words",
    "sentenceboundary": "--sentences",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help=".txt, .ssml/.xml or .json (--api longaudio: .txt, .ssml/.xml)",
    )
    options = parser.add_argument_group("synthesis options (default: the app settings)")
    options.add_argument("--voice", help="voice short name, e.g. en-US-AvaMultilingualNeural")
    options.add_argument(
        "--format",
        dest="output_format",
        metavar="FORMAT",
        help="output format, e.g. "
        "riff-24khz-16bit-mono-pcm (WAV) or audio-24khz-96kbitrate-mono-mp3 "
        "(--api longaudio: one of its ten formats, default riff-16khz-16bit-mono-pcm)",
    )
    options.add_argument(
        "--concatenate",
        action=argparse.BooleanOptionalAction,
        help="the pipeline's concatenate flag (default on): it joins a file's audio, and so "
        "needs a WAV, raw or MP3 format; the CLI checks the file as the pipeline would but "
        "unpacks the service's files as they are (--api longaudio: one audio file "
        "instead of one per paragraph, default off)",
    )
    options.add_argument(
        "--words", action=argparse.BooleanOptionalAction, help="word boundary timings (batch only)"
    )
    options.add_argument(
        "--sentences",
        action=argparse.BooleanOptionalAction,
        help="sentence boundary timings (batch only)",
    )
    waiting = parser.add_argument_group("waiting for the results")
    waiting.add_argument("--wait", action="store_true", help="wait and download the results")
    waiting.add_argument(
        "--out", metavar="DIR", type=Path, help="with --wait: where to unpack (default ./out)"
    )
    waiting.add_argument(
        "--interval",
        metavar="SECONDS",
        type=_positive,
        default=5.0,
        help="with --wait: seconds between polls (default 5)",
    )
    waiting.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_positive,
        help="with --wait: give up waiting after this long (the jobs keep running)",
    )
    parser.add_argument(
        "--id-prefix",
        metavar="P",
        help="start of the job ids (default cli): 1-16 letters, digits, '.', '_' or '-' "
        "(batch only)",
    )


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def job_id(prefix: str, file_name: str, stamp: str, token: str, part: int, parts: int) -> str:
    """A fresh job id for part `part` (0-based) of `parts` of one file."""
    stem = re.sub(r"[^a-zA-Z0-9]+", "-", PurePosixPath(file_name).stem).strip("-")[:16]
    suffix = f"-{part + 1:03d}" if parts > 1 else ""
    candidate = f"{prefix}-{stem.strip('-') or 'file'}-{stamp}-{token}{suffix}"
    if not JOB_ID.match(candidate):  # pragma: no cover - the parts above keep to the rule
        raise AssertionError(f"generated an invalid job id {candidate!r}")
    return candidate


@dataclass
class _Job:
    id: str
    part: int
    status: str = "NotStarted"
    folder: Path | None = None
    files: list[str] = field(default_factory=list)
    audio_ms: int | None = None
    error: str | None = None


@dataclass
class _File:
    path: str  # as given
    name: str  # base name: what build_document and the output folder see
    info: dict[str, Any]  # kind, voice, outputFormat, inputs, characters (for --json)
    jobs: list[_Job] = field(default_factory=list)
    payload: Any = None  # what is submitted: a Document (batch), a Script (Long Audio)

    def summary(self) -> dict[str, Any]:
        jobs = []
        for job in self.jobs:
            entry: dict[str, Any] = {"id": job.id, "status": job.status}
            if job.folder is not None:
                entry["folder"] = str(job.folder)
                entry["files"] = job.files
            if job.audio_ms is not None:
                entry["audioMs"] = job.audio_ms
            if job.error:
                entry["error"] = job.error
            jobs.append(entry)
        return {"file": self.path, **self.info, "jobs": jobs}


@dataclass(frozen=True)
class _Request:
    """The files of one submit, read, with where their results go."""

    paths: list[str]
    names: list[str]
    contents: list[bytes]
    out_dir: Path


def read_request(ctx: Context) -> _Request:
    """Check the waiting options and read every file, before anything is submitted."""
    args = ctx.args
    if not args.wait and (args.out is not None or args.timeout is not None):
        raise UsageError("--out and --timeout go with --wait")
    out_dir: Path = args.out if args.out is not None else Path("out")
    paths = list(dict.fromkeys(args.files))
    names = [Path(path).name for path in paths]
    if args.wait:
        _check_out_dir(out_dir, names)
    return _Request(paths, names, [_read(path) for path in paths], out_dir)


def submit(ctx: Context) -> int:
    if ctx.api == "longaudio":
        from speechdrop import longaudio

        return longaudio.submit(ctx)
    args = ctx.args
    prefix = args.id_prefix if args.id_prefix is not None else "cli"
    if not _PREFIX.match(prefix):
        raise UsageError(
            "--id-prefix must be 1-16 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    request = read_request(ctx)
    metadata = {
        key: _metadata_value(getattr(args, flag))
        for flag, key in _METADATA.items()
        if getattr(args, flag) is not None
    }
    settings = ctx.settings()
    catalog = ServiceVoices(ctx.speech, strict_auth=True)

    def prepare(name: str, data: bytes) -> tuple[dict[str, Any], Any]:
        document = build_document(name, data, metadata, settings, catalog)
        info = {
            "kind": document.kind,
            "voice": document.options.voice,
            "outputFormat": document.options.output_format,
            "inputs": document.input_count,
            "characters": document.characters,
        }
        return info, document

    files = prepare_files(ctx, request, prepare)
    if files is None:
        return nothing_submitted(ctx)

    _create_jobs(ctx, files, prefix)
    return finish(ctx, files, request.out_dir, BATCH)


def prepare_files(
    ctx: Context,
    request: _Request,
    prepare: Callable[[str, bytes], tuple[dict[str, Any], Any]],
) -> list[_File] | None:
    """Check every file before anything is submitted: `prepare` gives a file's summary
    and what to send, or raises InputError. None (each problem noted) if any file fails."""
    files: list[_File] = []
    problems = 0
    for path, name, data in zip(request.paths, request.names, request.contents, strict=True):
        try:
            info, payload = prepare(name, data)
        except InputError as error:
            problems += 1
            ctx.note(f"{name}: {input_message(error)}")
            continue
        files.append(_File(path, name, info, payload=payload))
    return None if problems else files


def nothing_submitted(ctx: Context) -> int:
    ctx.note(f"{PROG}: nothing was submitted; fix the file(s) above and try again")
    return 1


def finish(ctx: Context, files: list[_File], out_dir: Path, poller: Poller) -> int:
    """After submitting: wait if asked, then report (text or --json); the exit code."""
    args = ctx.args
    if not args.wait:
        if ctx.json:
            render.print_json({"files": [f.summary() for f in files]}, ctx.out)
        return 0
    _wait(ctx, files, out_dir, args.interval, args.timeout, poller)
    failed = [job for f in files for job in f.jobs if job.status != "Succeeded"]
    if ctx.json:
        render.print_json({"files": [f.summary() for f in files]}, ctx.out)
    else:
        for f in files:
            _report(ctx, f)
    return 1 if failed else 0


def _check_out_dir(out_dir: Path, names: list[str]) -> None:
    """Refuse, before anything is submitted, an --out where the results cannot go."""
    clash = next((name for name in names if names.count(name) > 1), None)
    if clash:
        raise UsageError(
            f"two files are named {clash}: their results would share {out_dir / clash}; "
            "submit them separately"
        )
    for folder in (out_dir, *(out_dir / name for name in names)):
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"{folder} exists and is not a folder: choose another --out")


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: cannot read it ({error.strerror or error})") from None


def _metadata_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def input_message(error: InputError) -> str:
    where = error.where
    for key, flag in _FLAG_NAMES.items():
        if where and where.lower() == f"metadata key {key!r}":
            where = f"option {flag}"
    return f"{error.message} ({where})" if where else error.message


def _create_jobs(ctx: Context, files: list[_File], prefix: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    created: list[str] = []
    for f in files:
        token = secrets.token_hex(3)
        document = f.payload
        parts = len(document.jobs)
        for index, request in enumerate(document.jobs):
            new_id = job_id(prefix, f.name, stamp, token, index, parts)
            part = f" (part {index + 1} of {parts})" if parts > 1 else ""
            with creating(ctx, created, "job"):
                ctx.speech.create(new_id, request.body(f"{PROG} cli: {f.name}{part}"))
            created.append(new_id)
            f.jobs.append(_Job(new_id, index))
            if not ctx.json:
                ctx.out.write(new_id + "\n")
                ctx.out.flush()
        ctx.note(
            f"{f.name}: {parts} job(s), {document.input_count} input(s), "
            f"{document.characters:,} characters, {document.options.voice}, "
            f"{document.options.output_format}"
        )


@contextmanager
def creating(ctx: Context, created: list[str], noun: str) -> Iterator[None]:
    """On a failed create, say which items were created before it (or that none was)."""
    try:
        yield
    except SpeechdropError:
        if created:
            ctx.note(
                f"{PROG}: {len(created)} {noun}(s) were created before this failed: "
                + ", ".join(created)
            )
        else:
            ctx.note(f"{PROG}: no {noun} was created")
        raise


@dataclass(frozen=True)
class Poller:
    """How `--wait` follows one API: read an item, fetch a finished one's results."""

    nouns: str  # plural, for progress and messages
    get: Callable[[Context, str], dict[str, Any] | None]
    fetch: Callable[[Context, _File, _Job, dict[str, Any], Path], None]
    gone: str  # the error of an item that disappeared while waited for


class _Progress:
    """Progress on stderr: one rewritten line on a terminal, a line per change otherwise."""

    def __init__(self, ctx: Context, total: int, nouns: str = "jobs") -> None:
        self._ctx = ctx
        self._total = total
        self._nouns = nouns
        self._start = time.monotonic()
        self._tty = ctx.err.isatty()
        self._last = ""

    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def show(self, jobs: list[_Job]) -> None:
        done = sum(job.status in _FINISHED or job.status == "Missing" for job in jobs)
        running = sum(job.status == "Running" for job in jobs)
        waiting = sum(job.status == "NotStarted" for job in jobs)
        state = f"{done}/{self._total} {self._nouns} done, {running} running, {waiting} not started"
        line = f"waiting: {state} ({render.elapsed(self.elapsed())} elapsed)"
        if self._tty:
            self._ctx.err.write("\r" + line.ljust(len(self._last)))
            self._ctx.err.flush()
            self._last = line
        elif state != self._last:
            self._ctx.note(line)
            self._last = state

    def end(self) -> None:
        if self._tty and self._last:
            self._ctx.err.write("\n")
            self._ctx.err.flush()


def _wait(
    ctx: Context,
    files: list[_File],
    out_dir: Path,
    interval: float,
    timeout: float | None,
    poller: Poller | None = None,
) -> None:
    poller = poller or BATCH
    owner = {job.id: f for f in files for job in f.jobs}
    jobs = [job for f in files for job in f.jobs]
    pending = list(jobs)
    progress = _Progress(ctx, len(jobs), poller.nouns)
    failures = 0
    try:
        while pending:
            pause = interval
            try:
                for job in list(pending):
                    document = poller.get(ctx, job.id)
                    if document is None:
                        job.status = "Missing"
                        job.error = poller.gone
                        pending.remove(job)
                        continue
                    job.status = document.get("status", job.status)
                    if job.status in _FINISHED:
                        poller.fetch(ctx, owner[job.id], job, document, out_dir)
                        pending.remove(job)
                failures = 0
            except TransientError as error:
                failures += 1
                if failures >= _MAX_POLL_FAILURES:
                    _still_running(ctx, pending, poller)
                    raise
                retry_after = getattr(error, "retry_after", None) or 0
                pause = max(interval * 2**failures, retry_after)
                ctx.note(f"{PROG}: {error}; polling again in {pause:.0f} s")
            progress.show(jobs)
            if not pending:
                break
            if timeout is not None and progress.elapsed() + pause > timeout:
                progress.end()
                _still_running(ctx, pending, poller)
                raise OperationFailed(f"gave up waiting after {timeout:g} s (--timeout)")
            time.sleep(pause)
    except KeyboardInterrupt:
        progress.end()
        _still_running(ctx, pending, poller)
        raise
    progress.end()


def _still_running(ctx: Context, pending: list[_Job], poller: Poller) -> None:
    if pending:
        ids = " ".join(job.id for job in pending)
        ctx.note(
            f"{PROG}: these {poller.nouns} keep running at the service: {ids} "
            f"(`{ctx.command} get ID`)"
        )


def _fetch(ctx: Context, f: _File, job: _Job, document: dict[str, Any], out_dir: Path) -> None:
    props = document.get("properties", {})
    job.audio_ms = props.get("durationInMilliseconds")
    if job.status == "Failed":
        error = props.get("error") or {}
        job.error = error.get("message") or error.get("code") or "the job failed"
    url = (document.get("outputs") or {}).get("result")
    if not url:
        return
    folder = out_dir / f.name
    if len(f.jobs) > 1:
        folder = folder / f"part-{job.part + 1:03d}"
    download_results(ctx.speech, job, url, folder)


def download_results(client: RestClient, job: _Job, url: str, folder: Path) -> None:
    """Download a result zip through its SAS `url` and unpack it into `folder`."""
    with tempfile.TemporaryFile(prefix="speechdrop-result-") as spool:
        client.download(job.id, url, spool)
        spool.seek(0)
        try:
            job.files = _unpack(spool, folder)
        except zipfile.BadZipFile:
            job.error = f"the result of {client.NOUN} {job.id} is not a valid zip archive"
            job.status = "Failed"
            return
    job.folder = folder


BATCH = Poller(
    nouns="jobs",
    get=lambda ctx, job_id: ctx.speech.get(job_id),
    fetch=_fetch,
    gone="the job disappeared at the service (deleted or expired)",
)


def _unpack(spool: Any, folder: Path) -> list[str]:
    """Extract a result zip into `folder`; refuses members that would land outside it."""
    written: list[str] = []
    with zipfile.ZipFile(spool) as archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            parts = PurePosixPath(member.filename.replace("\\", "/")).parts
            if not parts or member.filename.startswith("/") or ".." in parts or ":" in parts[0]:
                raise zipfile.BadZipFile(f"unsafe member name {member.filename!r}")
            target = folder.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
            written.append("/".join(parts))
    return sorted(written)


def _report(ctx: Context, f: _File) -> None:
    for job in f.jobs:
        label = f.path if len(f.jobs) == 1 else f"{f.path} (part {job.part + 1})"
        if job.status == "Succeeded" and job.folder is not None:
            audio = f", {render.duration(job.audio_ms)} of audio" if job.audio_ms else ""
            ctx.out.write(f"{label}: {job.folder} ({len(job.files)} files{audio})\n")
        else:
            where = f"; partial results in {job.folder}" if job.folder else ""
            ctx.out.write(f"{label}: {job.status}: {job.error or 'no result'}{where}\n")
