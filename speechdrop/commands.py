"""The read-and-manage commands: voices, get, list, delete, jobs (submit is in submit.py).

Each takes the `Context` and returns the exit code. Job documents are printed with every
URL's query stripped (`render.redact_job`): result links are SAS URLs.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from shared import reports
from shared.errors import SpeechServiceError
from speechdrop import render
from speechdrop.cli import PROG, Context

__all__ = ["delete", "get", "list_jobs", "pipeline_jobs", "voices"]

_UNFINISHED = ("NotStarted", "Running")


def voices(ctx: Context) -> int:
    found = ctx.speech.voices()
    locale = ctx.args.locale
    if locale:
        wanted = locale.lower()
        found = [
            voice
            for voice in found
            if str(voice.get("Locale", "")).lower() == wanted
            or str(voice.get("Locale", "")).lower().split("-")[0] == wanted
        ]
        if not found:
            ctx.note(f"{PROG}: no voice has locale {locale!r}: run `{PROG} voices` for all")
            if ctx.json:
                render.print_json([], ctx.out)
            return 1
    found.sort(key=lambda voice: (voice.get("Locale", ""), voice.get("ShortName", "")))
    if ctx.json:
        render.print_json(found, ctx.out)
    else:
        rows = [(v.get("ShortName"), v.get("Locale"), v.get("Gender")) for v in found]
        render.table(("SHORTNAME", "LOCALE", "GENDER"), rows, ctx.out)
    return 0


def get(ctx: Context) -> int:
    job = ctx.speech.get(ctx.args.id)
    if job is None:
        ctx.note(f"{PROG}: {_missing(ctx.args.id)}")
        return 1
    if ctx.json:
        render.print_json(render.redact_job(job), ctx.out)
        return 0
    rows = _details(job)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        ctx.out.write(f"{label.ljust(width)}  {value}\n")
    return 0


def _details(job: dict[str, Any]) -> list[tuple[str, str]]:
    props = job.get("properties", {})
    created, last = job.get("createdDateTime"), job.get("lastActionDateTime")
    rows = [
        ("id", job.get("id", "")),
        ("status", job.get("status", "")),
        ("description", job.get("description") or "-"),
        ("created", render.timestamp(created)),
        ("last action", render.timestamp(last)),
    ]
    took = render.between(created, last)
    if took is not None and job.get("status") in ("Succeeded", "Failed"):
        rows.append(("processing", render.duration(took * 1000)))
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


def list_jobs(ctx: Context) -> int:
    wanted = ctx.args.status
    jobs = [job for job in ctx.speech.list() if wanted is None or job.get("status") == wanted]
    if ctx.json:
        render.print_json([render.redact_job(job) for job in jobs], ctx.out)
        return 0
    rows = [
        (
            job.get("id"),
            job.get("status"),
            render.timestamp(job.get("createdDateTime")),
            render.timestamp(job.get("lastActionDateTime")),
            render.duration(job.get("properties", {}).get("durationInMilliseconds")),
            job.get("description") or "",
        )
        for job in jobs
    ]
    render.table(("ID", "STATUS", "CREATED", "LAST ACTION", "AUDIO", "DESCRIPTION"), rows, ctx.out)
    if not jobs:
        ctx.note(f"{PROG}: no jobs" + (f" with status {wanted}" if wanted else ""))
    return 0


def delete(ctx: Context) -> int:
    deleted: list[str] = []
    errors: list[dict[str, str]] = []

    def refuse(job_id: str, message: str) -> None:
        errors.append({"id": job_id, "error": message})
        ctx.note(f"{PROG}: {message}")

    for job_id in dict.fromkeys(ctx.args.ids):
        job = ctx.speech.get(job_id)
        if job is None:
            refuse(job_id, _missing(job_id))
            continue
        status = job.get("status")
        if status in _UNFINISHED:
            refuse(job_id, _unfinished(job_id, status))
            continue
        try:
            gone = ctx.speech.delete(job_id)
        except SpeechServiceError as error:
            if error.status != 400:
                raise
            # It changed state between the GET and the DELETE (or the service refuses).
            refuse(job_id, f"job {job_id} cannot be deleted: {error.message or error.code}")
            continue
        if not gone:
            refuse(job_id, _missing(job_id))
            continue
        deleted.append(job_id)
        if not ctx.json:
            ctx.out.write(f"deleted {job_id}\n")
    if ctx.json:
        render.print_json({"deleted": deleted, "errors": errors}, ctx.out)
    return 1 if errors else 0


def _missing(job_id: str) -> str:
    return (
        f"job {job_id} does not exist (never created, deleted, or expired): "
        f"`{PROG} list` shows the jobs there are"
    )


def _unfinished(job_id: str, status: str) -> str:
    return (
        f"job {job_id} is still {status}; wait for it to finish (`{PROG} get {job_id}`) "
        "and delete it then"
    )


def pipeline_jobs(ctx: Context) -> int:
    store = ctx.store()
    table = ctx.settings(speech=False, storage=True).jobs_table
    wanted = ctx.args.state
    try:
        records = [r for r in store.all_records() if wanted is None or r.state.value == wanted]
    except ResourceNotFoundError:
        ctx.note(
            f"{PROG}: the jobs table {table!r} does not exist yet (the pipeline creates it "
            "when it first runs): check JOBS_TABLE"
        )
        records = []
    records.sort(key=lambda record: record.times.get("accepted", ""), reverse=True)
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
