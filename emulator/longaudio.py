"""The Azure Long Audio API v3.0 (retired 1 April 2027) beside the batch synthesis one.

Served at `/api/texttospeech/v3.0/longaudiosynthesis`, like
`https://<region>.customvoice.api.speech.microsoft.com/api/texttospeech/v3.0/...`:

    GET    .../voices          the voices, Long Audio shape       (fault operation `voices`)
    POST   ...                 multipart submission → 202 + Location (`create`)
    GET    ...?skip=&top=      list, `@nextLink`                  (`list`)
    GET    .../{id}            one synthesis                      (`get`)
    GET    .../{id}/files      script and result links            (`get`)
    DELETE .../{id}            204; 400 while NotStarted/Running  (`delete`)

plus, without auth, the signed downloads behind `links.contentUrl`:
`/emulator/longaudio/{id}/{token}/{name}?...&se=...&sig=...`.

Every route passes the app's guard (auth, faults, slow responses) with this surface's own rate
limiter (5 requests per second by default) and error body (`{"code", "message",
"innerError"?}`, the Speech v3.0 shape). A synthesis is a store job of surface `longaudio`: the
same worker, speech, formats, job faults and signed URLs as the batch side; its result zip
holds one audio file per paragraph (`0001.wav`...; one file when concatenated), an
`NNNN.err.txt` per failed paragraph, and a copy of the script.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulator.config import Config
from emulator.errors import ApiError, ErrorCode
from emulator.longaudio_script import (
    INVALID_ARGUMENT,
    INVALID_REQUEST,
    Submission,
    parse_form,
    parse_submission,
    voice_id,
)
from emulator.ratelimit import RateLimiter
from emulator.results import JobOutput, zip_files
from emulator.signing import Signer
from emulator.store import FINISHED, NOT_STARTED, RUNNING, SUCCEEDED, Job, Store, iso, now_utc
from emulator.validation import query_integer
from emulator.voices import VOICES

__all__ = ["BASE", "SURFACE", "THROTTLED", "LongAudio", "iso_duration", "render_error"]

logger = logging.getLogger(__name__)

SURFACE = "longaudio"
BASE = "/api/texttospeech/v3.0/longaudiosynthesis"
DOWNLOADS = "/emulator/longaudio"
RESULT_NAME = "voicesynthesis_waves.zip"  # the docs' example name
MAX_ACTIVE = 120  # NotStarted + Running per key
MAX_STORED = 20_000  # syntheses kept per key
THROTTLED = "There are too many requests."
VOICES_CREATED = "2020-05-21T05:57:39.123Z"  # the docs' example date, for every voice
_NOT_FOUND = "The specified entity can't be found."
_CODES = {ErrorCode.BAD_REQUEST: INVALID_REQUEST, ErrorCode.BAD_ARGUMENT: INVALID_ARGUMENT}

Handler = Callable[[Request], Awaitable[Response]]
Guard = Callable[[str, Handler], Handler]
BlobError = Callable[[int, str, str], Response]


def render_error(error: ApiError) -> JSONResponse:
    """Speech v3.0 error body: `{"code", "message", "innerError"?: {"code", "message"}}`."""
    code = _CODES.get(error.code, error.code)
    body: dict = {"code": code, "message": error.message}
    if error.inner:
        body["innerError"] = {"code": error.inner, "message": error.message}
    headers = {"x-ms-error-code": code, **error.headers}
    return JSONResponse(body, status_code=error.status, headers=headers)


def iso_duration(ms: int) -> str:
    """Milliseconds → ISO 8601 duration as the service writes it: `PT5M57.252S`, `PT1S`."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    out = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if rest or out == "PT":
        out += f"{rest / 1000:.3f}".rstrip("0").rstrip(".") + "S"
    return out


def voices_body() -> dict:
    return {
        "values": [
            {
                "id": voice_id(v),
                "voiceName": v.name,
                "name": v.name,
                "description": "",
                "locale": v.locale,
                "gender": v.gender,
                "createdDateTime": VOICES_CREATED,
                "properties": {"publicAvailable": True},
            }
            for v in VOICES.values()
        ]
    }


def _package(script_name: str, script: bytes) -> Callable[[JobOutput], bytes]:
    """The result zip: audio per paragraph (or one), NNNN.err.txt per failure, the script.
    Any failed paragraph fails the synthesis (its zip still holds what succeeded)."""

    def package(output: JobOutput) -> bytes:
        files: dict[str, bytes] = {}
        for number, entry in enumerate(output.summary["results"], start=1):
            if entry["status"] == "Succeeded":
                files[entry["audioFileName"]] = output.files[entry["audioFileName"]]
            else:
                files[f"{number:04d}.err.txt"] = f"{entry['errorMessage']}\n".encode()
        files[script_name] = script
        if output.failed:
            output.status = "Failed"
            output.error_message = output.error_message or f"{output.failed} paragraph(s) failed."
        return zip_files(files)

    return package


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


_BAD_VALUE = "InvalidParameterValue"


class LongAudio:
    """The Long Audio routes over the emulator's store, signer and guard."""

    def __init__(self, config: Config, store: Store, signer: Signer, blob_error: BlobError):
        self.store = store
        self.signer = signer
        self._blob_error = blob_error
        self.limiter = RateLimiter(config.long_audio_rate_limit, 1.0)
        self.max_active = MAX_ACTIVE
        self.max_stored = MAX_STORED

    def routes(self, guard: Guard) -> list[Route]:
        one = f"{BASE}/{{id}}"
        return [
            Route(f"{BASE}/voices", guard("voices", self.voices), methods=["GET"]),
            Route(BASE, guard("create", self.create), methods=["POST"]),
            Route(f"{BASE}/", guard("create", self.create), methods=["POST"]),
            Route(BASE, guard("list", self.list), methods=["GET"]),
            Route(f"{BASE}/", guard("list", self.list), methods=["GET"]),
            Route(f"{one}/files", guard("get", self.files), methods=["GET"]),
            Route(one, guard("get", self.get), methods=["GET"]),
            Route(f"{one}/", guard("get", self.get), methods=["GET"]),
            Route(one, guard("delete", self.delete), methods=["DELETE"]),
            Route(f"{one}/", guard("delete", self.delete), methods=["DELETE"]),
            Route(f"{DOWNLOADS}/{{id}}/{{token}}/{{name}}", self.download, methods=["GET"]),
        ]

    def counts(self) -> dict[str, int]:
        return self.store.counts(SURFACE)

    # ----- bodies
    @staticmethod
    def resource(job: Job) -> dict:
        meta = job.definition["longAudio"]
        props: dict = {
            "outputFormat": job.definition["properties"]["outputFormat"],
            "concatenateResult": job.definition["properties"]["concatenateResult"],
        }
        if job.status == SUCCEEDED and job.output is not None:
            props["totalDuration"] = iso_duration(job.output.duration_ms)
            props["billableCharacterCount"] = job.output.characters
        body = {
            "models": meta["models"],
            "properties": props,
            "id": job.id,
            "lastActionDateTime": iso(job.last_action),
            "status": job.status,
            "createdDateTime": iso(job.created),
            "locale": meta["locale"],
            "displayName": meta["displayName"],
        }
        if meta["description"] is not None:
            body["description"] = meta["description"]
        return body

    def _file(self, base: str, job: Job, name: str, kind: str, size: int, created) -> dict:
        path = f"{DOWNLOADS}/{job.id}/{job.token}/{name}"
        url = f"{base}{path}?{self.signer.query(path, self.store.url_expiry(job))}"
        return {
            "name": name,
            "kind": kind,
            "properties": {"size": size},
            "createdDateTime": iso(created),
            "links": {"contentUrl": url},
        }

    def _get(self, synthesis_id: str) -> Job:
        try:
            return self.store.get(synthesis_id, SURFACE)
        except ApiError:
            raise ApiError(404, ErrorCode.NOT_FOUND, _NOT_FOUND) from None

    # ----- handlers
    async def voices(self, request: Request) -> Response:
        return JSONResponse(voices_body())

    async def create(self, request: Request) -> Response:
        jobs = self.store.list(SURFACE)
        if len(jobs) >= self.max_stored:
            raise ApiError(
                400,
                INVALID_REQUEST,
                f"Exceed the {self.max_stored:,} request limit for the Azure account. Remove "
                "some requests before submitting new ones.",
                "TooManySyntheses",
            )
        if sum(j.status in (NOT_STARTED, RUNNING) for j in jobs) >= self.max_active:
            raise ApiError(
                429,
                ErrorCode.TOO_MANY_REQUESTS,
                "Exceed the active voice synthesis limit. Wait until some requests finish.",
            )
        fields = parse_form(request.headers.get("content-type"), await request.body())
        submission = parse_submission(fields)
        synthesis_id = str(uuid.uuid4())
        job, _ = self.store.create(
            synthesis_id,
            f"longaudio-{synthesis_id}",
            _definition(synthesis_id, submission),
            "",
            surface=SURFACE,
            package=_package(f"{synthesis_id}.txt", submission.script),
        )
        logger.info(
            "long audio synthesis %s created (%d paragraphs)",
            job.id,
            len(submission.paragraphs),
        )
        return JSONResponse(
            self.resource(job),
            status_code=202,
            headers={"Location": f"{_base(request)}{BASE}/{job.id}"},
        )

    async def get(self, request: Request) -> Response:
        return JSONResponse(self.resource(self._get(request.path_params["id"])))

    async def files(self, request: Request) -> Response:
        job = self._get(request.path_params["id"])
        meta, base = job.definition["longAudio"], _base(request)
        script = meta["script"]
        values = [
            self._file(
                base, job, meta["scriptName"], "LongAudioSynthesisScript", len(script), job.created
            )
        ]
        zipped = job.zipped
        if job.status in FINISHED and zipped is not None:
            values.append(
                self._file(
                    base, job, RESULT_NAME, "LongAudioSynthesisResult", len(zipped), job.last_action
                )
            )
        return JSONResponse({"values": values})

    async def list(self, request: Request) -> Response:
        params = request.query_params
        skip = query_integer(params, "skip", 0, 0, 2**31 - 1, INVALID_ARGUMENT, _BAD_VALUE)
        top = query_integer(params, "top", 100, 1, 100, INVALID_ARGUMENT, _BAD_VALUE)
        jobs = self.store.list(SURFACE)
        body: dict = {"values": [self.resource(j) for j in jobs[skip : skip + top]]}
        if skip + top < len(jobs):
            body["@nextLink"] = f"{_base(request)}{BASE}/?top={top}&skip={skip + top}"
        return JSONResponse(body)

    async def delete(self, request: Request) -> Response:
        synthesis_id = request.path_params["id"]
        try:
            self.store.delete(synthesis_id, SURFACE)
        except ApiError as error:
            if error.status == 404:
                raise ApiError(404, ErrorCode.NOT_FOUND, _NOT_FOUND) from None
            raise ApiError(
                400, INVALID_REQUEST, "The voice synthesis task is still in use.", "InUseViolation"
            ) from None
        return Response(status_code=204)

    async def download(self, request: Request) -> Response:
        params = request.path_params
        try:
            job: Job | None = self.store.get(params["id"], SURFACE)
        except ApiError:
            job = None
        content, media = None, "application/zip"
        if job is not None and job.token == params["token"]:
            meta = job.definition["longAudio"]
            if params["name"] == meta["scriptName"]:
                content, media = meta["script"], "text/plain; charset=utf-8"
            elif params["name"] == RESULT_NAME and job.status in FINISHED:
                content = job.zipped
        if content is None:
            return self._blob_error(404, "BlobNotFound", "The specified blob does not exist.")
        query = request.query_params
        problem = self.signer.verify(request.url.path, query.get("se"), query.get("sig"), now_utc())
        if problem == "expired":
            return self._blob_error(403, "AuthenticationFailed", "Signed expiry time has passed.")
        if problem:
            return self._blob_error(403, "AuthenticationFailed", "Signature did not match.")
        return Response(content, media_type=media, headers={"x-ms-blob-type": "BlockBlob"})


def _definition(synthesis_id: str, submission: Submission) -> dict:
    """A store job definition: what `results.build_output` reads, plus the Long Audio fields."""
    return {
        "inputKind": submission.kind,
        "synthesisConfig": {"voice": submission.voices[0].name},
        "inputs": [{"content": p} for p in submission.paragraphs],
        "properties": {
            "outputFormat": submission.output_format,
            "concatenateResult": submission.concatenate,
            "wordBoundaryEnabled": False,
            "sentenceBoundaryEnabled": False,
            "decompressOutputFiles": False,
            "timeToLiveInHours": None,  # kept until deleted
        },
        "longAudio": {
            "displayName": submission.display_name,
            "description": submission.description,
            "locale": submission.locale,
            "models": submission.models,
            "scriptName": f"{synthesis_id}.txt",
            "script": submission.script,
        },
    }
