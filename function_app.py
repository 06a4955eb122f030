"""speechdrop's Azure Functions: triggers only. The work happens in shared.pipeline.

- accept_dropped_file: a file lands in the input container (Event Grid BlobCreated)
- poll_jobs:           on POLL_SCHEDULE, submit, poll, deliver and clean up
- job_status:          GET /api/jobs/{name}  status of one input file (latest version)
- list_jobs:           GET /api/jobs?state=&limit=  recent files
"""

import json
import logging

import azure.functions as func

from shared import pipeline
from shared.config import STORAGE_CONNECTION

# The Storage SDK logs every request and response at INFO (redacted, but costly to ingest).
logging.getLogger("azure").setLevel(logging.WARNING)

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.blob_trigger(
    arg_name="blob",
    path="%INPUT_CONTAINER%/{name}",
    connection=STORAGE_CONNECTION,
    source=func.BlobSource.EVENT_GRID,
)
def accept_dropped_file(blob: func.InputStream) -> None:
    pipeline.accept(blob.name)


@app.timer_trigger(arg_name="timer", schedule="%POLL_SCHEDULE%", run_on_startup=False)
def poll_jobs(timer: func.TimerRequest) -> None:
    pipeline.tick()


@app.route(route="jobs/{*name}", methods=["GET"])
def job_status(req: func.HttpRequest) -> func.HttpResponse:
    status = pipeline.default_pipeline().status(req.route_params["name"])
    if status is None:
        return _json({"error": "No file of that name has been seen."}, 404)
    return _json(status)


@app.route(route="jobs", methods=["GET"])
def list_jobs(req: func.HttpRequest) -> func.HttpResponse:
    try:
        limit = min(max(int(req.params.get("limit", "50")), 1), 500)
    except ValueError:
        return _json({"error": "limit must be a whole number"}, 400)
    return _json({"value": pipeline.default_pipeline().recent(req.params.get("state"), limit)})


def _json(body: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json")
