"""A local stand-in for the Functions host: it calls the app's own trigger functions.

Azurite emits no Event Grid events, so the runner notices new blob versions itself (by
listing the input container and remembering name + ETag) and hands each to the blob
trigger function exactly as the host would: an `azure.functions.blob.InputStream` with
the blob's content, name and metadata. The timer function gets a `TimerRequest`, the HTTP
functions an `HttpRequest`. There is no pipeline logic here: the functions are looked up
in `function_app.app` by name and called.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.functions.timer import TimerRequest
from azure.storage.blob import ContainerClient

from shared import pipeline

__all__ = ["LocalRunner", "app_environment", "app_functions", "schedule_interval_seconds"]

_EVERY_N_SECONDS = re.compile(r"^\*/(\d+)\s")


def schedule_interval_seconds(schedule: str, default: float = 10.0) -> float:
    """The period of an NCRONTAB schedule of the form `*/N * * * * *` (else `default`)."""
    match = _EVERY_N_SECONDS.match(schedule.strip())
    return float(match.group(1)) if match else default


@contextlib.contextmanager
def app_environment(settings: Mapping[str, str]) -> Iterator[None]:
    """App settings as the host gives them, environment variables, for the time of a
    run: the pipeline is rebuilt from them, and the environment is restored after."""
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    pipeline.reset_default()
    try:
        yield
    finally:
        pipeline.reset_default()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@functools.cache
def app_functions(app: func.FunctionApp) -> dict[str, Any]:
    """The app's functions by name, indexed once as the host does.

    `FunctionApp.get_functions()` may be called only once per app: azure-functions 1.x
    remembers the names it validated and refuses them the second time.
    """
    return {function.get_function_name(): function for function in app.get_functions()}


@dataclass
class LocalRunner:
    app: func.FunctionApp
    input_container: ContainerClient
    seen: dict[str, str] = field(default_factory=dict)  # blob name -> last ETag delivered

    def function(self, name: str) -> Callable[..., Any]:
        try:
            return app_functions(self.app)[name].get_user_function()
        except KeyError:
            raise KeyError(f"function_app has no function named {name!r}") from None

    # -- events -------------------------------------------------------------------------

    def new_blob_versions(self) -> list[str]:
        """Names of blobs that appeared or changed since they were last delivered."""
        fresh = []
        for blob in self.input_container.list_blobs():
            if self.seen.get(blob.name) != blob.etag:
                fresh.append(blob.name)
        return fresh

    def deliver_event(self, name: str) -> None:
        """Call the blob trigger for one blob, as the host does on a BlobCreated event."""
        client = self.input_container.get_blob_client(name)
        try:
            properties = client.get_blob_properties()
            data = client.download_blob(
                etag=properties.etag, match_condition=MatchConditions.IfNotModified
            ).readall()
        except (ResourceModifiedError, ResourceNotFoundError):
            return  # replaced or deleted meanwhile: its next version has an event of its own
        stream = func.blob.InputStream(
            data=data,
            name=f"{self.input_container.container_name}/{name}",
            uri=client.url,
            length=len(data),
            metadata=dict(properties.metadata),
        )
        self.function("accept_dropped_file")(stream)
        self.seen[name] = properties.etag

    def deliver_new_events(self, repeat: int = 1) -> list[str]:
        names = self.new_blob_versions()
        for name in names:
            for _ in range(repeat):
                self.deliver_event(name)
        return names

    # -- timer and http -----------------------------------------------------------------

    def tick(self) -> None:
        self.function("poll_jobs")(TimerRequest(past_due=False))

    def get(self, route: str, params: dict[str, str] | None = None) -> tuple[int, Any]:
        """Call an HTTP function by its route (`jobs` or `jobs/<name>`)."""
        if route == "jobs":
            function, route_params = self.function("list_jobs"), {}
        elif route.startswith("jobs/"):
            function, route_params = self.function("job_status"), {"name": route[5:]}
        else:
            raise KeyError(route)
        request = func.HttpRequest(
            "GET",
            f"http://localhost/api/{route}",
            params=params or {},
            route_params=route_params,
            body=b"",
        )
        response = function(request)
        return response.status_code, json.loads(response.get_body())

    # -- the loop -----------------------------------------------------------------------

    def run_until_settled(
        self,
        names: Iterable[str] | None = None,
        *,
        interval: float = 1.0,
        timeout: float = 300.0,
        on_progress: Callable[[int, int, float], None] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Deliver events and tick until every file is delivered or failed.

        Returns each file's status (from the status function). Raises TimeoutError with
        the unfinished files if `timeout` passes first.
        """
        started = time.monotonic()
        expected = set(names) if names is not None else None
        while True:
            self.deliver_new_events()
            self.tick()
            wanted = expected if expected is not None else set(self.seen)
            statuses = {name: self.get(f"jobs/{name}")[1] for name in wanted}
            done = {n for n, s in statuses.items() if s.get("state") in ("delivered", "failed")}
            elapsed = time.monotonic() - started
            if on_progress:
                on_progress(len(done), len(wanted), elapsed)
            if done == wanted:
                return statuses
            if elapsed > timeout:
                pending = sorted(wanted - done)
                raise TimeoutError(f"not settled after {timeout:.0f} s: {pending[:10]}")
            time.sleep(interval)
