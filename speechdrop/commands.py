"""The read-and-manage commands: voices, get, list, delete, files, jobs (submit is in
submit.py).

Each takes the `Context` and returns the exit code. The same commands serve both APIs
(``--api``): a `View` says what differs (the client, the noun, the fields shown). Job and
synthesis documents are printed with every URL's query stripped (`render.redact_job`):
result links are SAS URLs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from shared import reports
from shared.errors import SpeechServiceError
from speechdrop import render
from speechdrop.cli import PROG, Context, UsageError

__all__ = ["View", "delete", "files", "get", "list_jobs", "pipeline_jobs", "view", "voices"]

_UNFINISHED = ("NotStarted", "Running")

Row = tuple[Any, ...]


@dataclass(frozen=True)
class View:
    """What differs between the batch and Long Audio APIs for the read-and-manage verbs."""

    noun: str  # what the API calls one item
    nouns: str  # and several
    gone: str  # why an item may be missing
    voice_keys: tuple[str, str, str]  # name, locale, gender keys of a voice
    details: Callable[[dict[str, Any]], list[tuple[str, str]]]
    list_headers: tuple[str, ...]
    list_row: Callable[[dict[str, Any]], Row]

    def missing(self, ctx: Context, item_id: str) -> str:
        return (
            f"{self.noun} {item_id} does not exist (never created, {self.gone}): "
            f"`{ctx.command} list` shows the {self.nouns} there are"
        )

    def unfinished(self, ctx: Context, item_id: str, status: str) -> str:
        return (
            f"{self.noun} {item_id} is still {status}; wait for it to finish "
            f"(`{ctx.command} get {item_id}`) and delete it then"
        )


def voices(ctx: Context) -> int:
    found = ctx.client.voices()
    name_key, locale_key, gender_key = view(ctx).voice_keys
    locale = ctx.args.locale
    if locale:
        wanted = locale.lower()
        found = [
            voice
            for voice in found
            if str(voice.get(locale_key, "")).lower() == wanted
            or str(voice.get(locale_key, "")).lower().split("-")[0] == wanted
        ]
        if not found:
            ctx.note(f"{PROG}: no voice has locale {locale!r}: run `{ctx.command} voices` for all")
            if ctx.json:
                render.print_json([], ctx.out)
            return 1
    found.sort(key=lambda voice: (voice.get(locale_key, ""), voice.get(name_key, "")))
    if ctx.json:
        render.print_json(found, ctx.out)
    else:
        rows = [(v.get(name_key), v.get(locale_key), v.get(gender_key)) for v in found]
        render.table(("SHORTNAME", "LOCALE", "GENDER"), rows, ctx.out)
    return 0


def get(ctx: Context) -> int:
    item = ctx.client.get(ctx.args.id)
    if item is None:
        ctx.note(f"{PROG}: {view(ctx).missing(ctx, ctx.args.id)}")
        return 1
    if ctx.json:
        render.print_json(render.redact_job(item), ctx.out)
        return 0
    rows = view(ctx).details(item)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        ctx.out.write(f"{label.ljust(width)}  {value}\n")
    return 0


def _processing(item: dict[str, Any]) -> list[tuple[str, str]]:
    """The rows every item has: id, status, times."""
    created, last = item.get("createdDateTime"), item.get("lastActionDateTime")
    rows = [("id", item.get("id", "")), ("status", item.get("status", ""))]
    if "displayName" in item:
        rows.append(("name", item["displayName"]))
    rows += [
        ("description", item.get("description") or "-"),
        ("created", render.timestamp(created)),
        ("last action", render.timestamp(last)),
    ]
    took = render.between(created, last)
    if took is not None and item.get("status") in ("Succeeded", "Failed"):
        rows.append(("processing", render.duration(took * 1000)))
    return rows


def _details(job: dict[str, Any]) -> list[tuple[str, str]]:
    props = job.get("properties", {})
    rows = _processing(job)
    if "durationInMilliseconds" in props:
        rows.append(("audio", render.duration(props["durationInMilliseconds"])))
    if "succeededAudioCount" in props or "failedAudioCount" in props:
        rows.append(
            (
                "outputs",
                f"{props.get('succeededAudioCount', 0)} succeeded, "
                f"{props.get('failedAudioCount', 0)} failed",
            )
        )
    billing = props.get("billingDetails") or {}
    characters = sum(v for v in billing.values() if isinstance(v, int))
    if billing:
        rows.append(("characters", f"{characters:,} billed"))
    if "sizeInBytes" in props:
        rows.append(("size", f"{props['sizeInBytes']:,} bytes"))
    if props.get("outputFormat"):
        rows.append(("format", props["outputFormat"]))
    voice = (job.get("synthesisConfig") or {}).get("voice")
    if voice:
        rows.append(("voice", voice))
    if props.get("timeToLiveInHours"):
        rows.append(("kept for", f"{props['timeToLiveInHours']} h after it finished"))
    result = (job.get("outputs") or {}).get("result")
    if result:
        rows.append(("result", render.strip_query(result)))
    error = props.get("error")
    if error:
        rows.append(("error", f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")))
    return rows


def _synthesis_details(synthesis: dict[str, Any]) -> list[tuple[str, str]]:
    props = synthesis.get("properties", {})
    rows = _processing(synthesis)
    audio_ms = render.iso_duration_ms(props.get("totalDuration"))
    if audio_ms is not None:
        rows.append(("audio", render.duration(audio_ms)))
    if "billableCharacterCount" in props:
        rows.append(("characters", f"{props['billableCharacterCount']:,} billed"))
    if props.get("outputFormat"):
        rows.append(("format", props["outputFormat"]))
    voices = [m.get("voiceName") or m.get("id", "") for m in synthesis.get("models", [])]
    if voices:
        rows.append(("voice", ", ".join(voices)))
    if synthesis.get("locale"):
        rows.append(("locale", synthesis["locale"]))
    if "concatenateResult" in props:
        rows.append(("concatenated", "yes" if props["concatenateResult"] else "no"))
    return rows


def _list_row(item: dict[str, Any]) -> Row:
    props = item.get("properties", {})
    audio_ms = props.get("durationInMilliseconds")
    if audio_ms is None:
        audio_ms = render.iso_duration_ms(props.get("totalDuration"))
    return (
        item.get("id"),
        item.get("status"),
        render.timestamp(item.get("createdDateTime")),
        render.timestamp(item.get("lastActionDateTime")),
        render.duration(audio_ms),
        item.get("displayName", item.get("description")) or "",
    )


_LIST_HEADERS = ("ID", "STATUS", "CREATED", "LAST ACTION", "AUDIO")
VIEWS = {
    "batch": View(
        noun="job",
        nouns="jobs",
        gone="deleted, or expired",
        voice_keys=("ShortName", "Locale", "Gender"),
        details=_details,
        list_headers=(*_LIST_HEADERS, "DESCRIPTION"),
        list_row=_list_row,
    ),
    "longaudio": View(
        noun="synthesis",
        nouns="syntheses",
        gone="or deleted",
        voice_keys=("voiceName", "locale", "gender"),
        details=_synthesis_details,
        list_headers=(*_LIST_HEADERS, "NAME"),
        list_row=_list_row,
    ),
}


def view(ctx: Context) -> View:
    return VIEWS[ctx.api]


def list_jobs(ctx: Context) -> int:
    wanted = ctx.args.status
    items = [item for item in ctx.client.list() if wanted is None or item.get("status") == wanted]
    if ctx.json:
        render.print_json([render.redact_job(item) for item in items], ctx.out)
        return 0
    shown = view(ctx)
    render.table(shown.list_headers, [shown.list_row(item) for item in items], ctx.out)
    if not items:
        ctx.note(f"{PROG}: no {shown.nouns}" + (f" with status {wanted}" if wanted else ""))
    return 0


def delete(ctx: Context) -> int:
    deleted: list[str] = []
    errors: list[dict[str, str]] = []

    def refuse(job_id: str, message: str) -> None:
        errors.append({"id": job_id, "error": message})
        ctx.note(f"{PROG}: {message}")

    shown = view(ctx)
    for job_id in dict.fromkeys(ctx.args.ids):
        job = ctx.client.get(job_id)
        if job is None:
            refuse(job_id, shown.missing(ctx, job_id))
            continue
        status = job.get("status")
        if status in _UNFINISHED:
            refuse(job_id, shown.unfinished(ctx, job_id, status))
            continue
        try:
            gone = ctx.client.delete(job_id)
        except SpeechServiceError as error:
            if error.status != 400:
                raise
            # It changed state between the GET and the DELETE (or the service refuses).
            refuse(
                job_id,
                f"{shown.noun} {job_id} cannot be deleted: {error.message or error.code}",
            )
            continue
        if not gone:
            refuse(job_id, shown.missing(ctx, job_id))
            continue
        deleted.append(job_id)
        if not ctx.json:
            ctx.out.write(f"deleted {job_id}\n")
    if ctx.json:
        render.print_json({"deleted": deleted, "errors": errors}, ctx.out)
    return 1 if errors else 0


def files(ctx: Context) -> int:
    if ctx.api != "longaudio":
        raise UsageError("`files` lists a Long Audio synthesis' files: add --api longaudio")
    synthesis_id = ctx.args.id
    try:
        found = ctx.longaudio.files(synthesis_id)
    except SpeechServiceError as error:
        if error.status != 404:
            raise
        ctx.note(f"{PROG}: {view(ctx).missing(ctx, synthesis_id)}")
        return 1
    if ctx.json:
        render.print_json(render.redact_job(found), ctx.out)
        return 0
    rows = [
        (
            f.get("name"),
            f.get("kind"),
            f"{(f.get('properties') or {}).get('size', 0):,}",
            render.timestamp(f.get("createdDateTime")),
        )
        for f in found
    ]
    render.table(("NAME", "KIND", "BYTES", "CREATED"), rows, ctx.out)
    return 0


def pipeline_jobs(ctx: Context) -> int:
    store = ctx.store()
    table = ctx.settings(speech=False, storage=True).jobs_table
    wanted = ctx.args.state
    try:
        records = store.recent(wanted)
    except ResourceNotFoundError:
        ctx.note(
            f"{PROG}: the jobs table {table!r} does not exist yet (the pipeline creates it "
            "when it first runs): check JOBS_TABLE"
        )
        records = []
    views = [reports.status_view(record) for record in records]
    if ctx.json:
        render.print_json(views, ctx.out)
        return 0
    rows = []
    for view in views:
        progress = view["progress"]
        detail = ""
        if view.get("error"):
            detail = f"{view['error'].get('code')}: {view['error'].get('message', '')}"
            detail = detail if len(detail) <= 80 else detail[:77] + "..."
        elif view.get("outputs"):
            detail = str(view["outputs"].get("folder", ""))
        rows.append(
            (
                view["name"],
                view["state"],
                f"{progress['jobsSucceeded']}/{progress['jobs']}",
                view["inputs"],
                f"{view['characters']:,}",
                render.timestamp(view["times"].get("accepted")),
                detail,
            )
        )
    render.table(
        ("NAME", "STATE", "JOBS", "INPUTS", "CHARACTERS", "ACCEPTED", "OUTPUT / ERROR"),
        rows,
        ctx.out,
    )
    if not views and wanted:
        ctx.note(f"{PROG}: no file is {wanted}")
    return 0
