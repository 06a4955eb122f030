"""`python -m speechdrop`: the command line over the same `shared/` code as the app.

    speechdrop [--api batch|longaudio] [--endpoint URL] [--key KEY] [--json] COMMAND ...

    voices  [--locale xx-YY]                  the voices of the Speech resource's region
    submit  FILE... [options] [--wait [--out DIR]]  files -> batch synthesis jobs
    get     ID                                one job
    list    [--status S]                      every job of the Speech resource
    delete  ID...                             delete finished jobs
    files   ID                                a synthesis' files (--api longaudio only)
    jobs    [--state S]                       what the pipeline's jobs table says

``--api longaudio`` runs the same verbs against the Long Audio API v3.0 (retired 1 April
2027; ``--endpoint`` is then the ``https://<region>.customvoice.api.speech.microsoft.com``
host): ``submit`` sends each .txt / .ssml file as one synthesis script (see
`speechdrop.longaudio`), the others work on syntheses instead of batch jobs.

Configuration: ``--endpoint`` / ``SPEECH_ENDPOINT``; ``--key`` / ``SPEECH_KEY`` (without a
key, Microsoft Entra ID through `DefaultAzureCredential`); the jobs table through
``SPEECHDROP_STORAGE`` (or its identity-based settings) and ``JOBS_TABLE``, read by
`shared.config`. The other app settings (``DEFAULT_VOICE``, ``MAX_INPUT_CHARS``, ...)
apply to ``submit`` as they do to the pipeline.

Exit codes: 0 done; 1 an operation failed (the service refused, a file is wrong, a job
failed); 2 usage or configuration (a missing setting, a bad option, sign-in failed);
130 interrupted. Errors are one line on stderr that says what to do. Keys, tokens and SAS
query strings are never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO, TypeVar

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
)

from shared.config import STORAGE_CONNECTION, Settings
from shared.errors import (
    ConfigurationError,
    SpeechServiceError,
    ThrottledError,
    TransientError,
)
from shared.jobs import FileState, JobStore
from shared.longaudio import LongAudioClient
from shared.speech import RestClient, SpeechClient
from speechdrop import render

__all__ = ["Context", "OperationFailed", "UsageError", "build_parser", "main", "make_credential"]

_C = TypeVar("_C", bound=RestClient)

PROG = "speechdrop"
APIS = ("batch", "longaudio")
JOB_STATUSES = ("Succeeded", "Failed", "Running", "NotStarted")


class UsageError(Exception):
    """The command line or the configuration is wrong (exit code 2)."""


class OperationFailed(Exception):
    """An operation failed; the message says what happened and what to do (exit code 1)."""


class SignInError(Exception):
    """Microsoft Entra ID could not give a token (exit code 2)."""


def make_credential() -> Any:
    """The Microsoft Entra ID credential used when no key is configured."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


class _SignInGuard:
    """Wraps a token credential so that a failed sign-in becomes one clear error."""

    def __init__(self, credential: Any) -> None:
        self._credential = credential

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        try:
            return self._credential.get_token(*scopes, **kwargs)
        except ClientAuthenticationError:
            raise SignInError() from None

    def close(self) -> None:
        close = getattr(self._credential, "close", None)
        if close is not None:
            close()


class Context:
    """What a command works with: parsed arguments, output streams, lazily built clients."""

    def __init__(
        self, args: argparse.Namespace, env: Mapping[str, str], out: TextIO, err: TextIO
    ) -> None:
        self.args = args
        self.env = env
        self.out = out
        self.err = err
        self.json: bool = bool(getattr(args, "json", False))
        self._settings: dict[tuple[bool, bool], Settings] = {}
        self.api: str = getattr(args, "api", None) or "batch"
        self._speech: SpeechClient | None = None
        self._longaudio: LongAudioClient | None = None
        self._credentials: list[_SignInGuard] = []
        self._store: JobStore | None = None

    # -- configuration -------------------------------------------------------------------

    @property
    def endpoint(self) -> str | None:
        value = getattr(self.args, "endpoint", None) or self.env.get("SPEECH_ENDPOINT", "")
        return value.strip().rstrip("/") or None

    @property
    def key(self) -> str | None:
        value = getattr(self.args, "key", None) or self.env.get("SPEECH_KEY", "")
        return value.strip() or None

    def settings(self, *, speech: bool = True, storage: bool = False) -> Settings:
        """App settings from the environment, with --endpoint / --key on top."""
        if (speech, storage) in self._settings:
            return self._settings[speech, storage]
        if speech and not self.endpoint:
            raise UsageError("set SPEECH_ENDPOINT or pass --endpoint")
        endpoint = self.endpoint if speech else ""  # a command without Speech ignores it
        env = {**self.env, "SPEECH_ENDPOINT": endpoint or "", "SPEECH_KEY": self.key or ""}
        try:
            settings = Settings.from_env(env, need_speech=speech, need_storage=storage)
        except ConfigurationError as error:
            raise UsageError(str(error)) from None
        self._settings[speech, storage] = settings
        return settings

    # -- clients -------------------------------------------------------------------------

    @property
    def speech(self) -> SpeechClient:
        """The batch synthesis client."""
        if self._speech is None:
            self._speech = self._client(SpeechClient)
        return self._speech

    @property
    def longaudio(self) -> LongAudioClient:
        """The Long Audio API client (LONG_AUDIO_ENDPOINT, same credentials)."""
        if self._longaudio is None:
            self._longaudio = self._client(LongAudioClient)
        return self._longaudio

    @property
    def client(self) -> SpeechClient | LongAudioClient:
        """The client of the API chosen with --api."""
        return self.longaudio if self.api == "longaudio" else self.speech

    @property
    def command(self) -> str:
        """How to start a command for the chosen API, for hints: `speechdrop [--api ...]`."""
        return PROG if self.api == "batch" else f"{PROG} --api {self.api}"

    def _client(self, cls: type[_C]) -> _C:
        settings = self.settings()
        endpoint = settings.speech_endpoint
        if cls is LongAudioClient and not getattr(self.args, "endpoint", None):
            endpoint = settings.long_audio_endpoint  # LONG_AUDIO_ENDPOINT, else SPEECH_ENDPOINT
        if settings.speech_key:
            return cls(endpoint, key=settings.speech_key)
        return cls(endpoint, credential=self._credential())

    def store(self) -> JobStore:
        if self._store is None:
            from azure.data.tables import TableClient

            settings = self.settings(speech=False, storage=True)
            storage = settings.storage
            if storage.connection_string:
                table = TableClient.from_connection_string(
                    storage.connection_string, table_name=settings.jobs_table
                )
            else:
                credential = self._credential(storage.client_id)
                table = TableClient(
                    storage.table_service_uri, settings.jobs_table, credential=credential
                )
            self._store = JobStore(table)
        return self._store

    def _credential(self, client_id: str | None = None) -> _SignInGuard:
        if client_id:
            from azure.identity import DefaultAzureCredential

            raw = DefaultAzureCredential(managed_identity_client_id=client_id)
        else:
            raw = make_credential()
        guard = _SignInGuard(raw)
        self._credentials.append(guard)
        return guard

    def close(self) -> None:
        for client in (self._speech, self._longaudio):
            if client is not None:
                client.close()
        if self._store is not None:
            self._store.close()
        for credential in self._credentials:
            credential.close()

    # -- output --------------------------------------------------------------------------

    def note(self, message: str) -> None:
        """One line of human-oriented information on stderr."""
        self.err.write(self.scrub(message) + "\n")
        self.err.flush()

    def scrub(self, text: str) -> str:
        return render.scrub(text, [self.key])


# -- the command line -------------------------------------------------------------------


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """--api/--endpoint/--key/--json, accepted before and after the command name."""
    group = parser.add_argument_group("connection and output")
    group.add_argument(
        "--api",
        choices=APIS,
        default=argparse.SUPPRESS if suppress else "batch",
        help="batch synthesis (default) or the Long Audio API v3.0",
    )
    group.add_argument(
        "--endpoint",
        metavar="URL",
        default=argparse.SUPPRESS if suppress else None,
        help="Speech resource endpoint (default: $SPEECH_ENDPOINT)",
    )
    group.add_argument(
        "--key",
        metavar="KEY",
        default=argparse.SUPPRESS if suppress else None,
        help="Speech resource key (default: $SPEECH_KEY; prefer the variable, a key on the "
        "command line shows in the process list; no key: Microsoft Entra ID)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="machine-readable output (JSON on stdout)",
    )


def build_parser() -> argparse.ArgumentParser:
    from speechdrop import commands, submit

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Azure Speech batch synthesis (or, with --api longaudio, the Long Audio "
        "API) from the command line, with speechdrop's file conventions (.txt, .ssml/.xml, "
        ".json job documents).",
        epilog="Environment: SPEECH_ENDPOINT, SPEECH_KEY (none: Microsoft Entra ID), "
        "SPEECHDROP_STORAGE and JOBS_TABLE (for `jobs`), and the app settings of "
        "shared/config.py (DEFAULT_VOICE, DEFAULT_OUTPUT_FORMAT, MAX_INPUT_CHARS, ...).",
    )
    _global_options(parser, suppress=False)
    commands_ = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, handler: Callable[[Context], int], help: str) -> Any:
        sub = commands_.add_parser(name, help=help, description=help)
        _global_options(sub, suppress=True)
        sub.set_defaults(handler=handler)
        return sub

    voices = command("voices", commands.voices, "list the voices of the Speech resource")
    voices.add_argument("--locale", metavar="xx-YY", help="only this locale (or language: en)")

    sub = command("submit", submit.submit, "turn text, SSML or job files into synthesis jobs")
    submit.add_arguments(sub)

    get = command("get", commands.get, "show one job")
    get.add_argument("id", metavar="ID")

    list_ = command("list", commands.list_jobs, "list the jobs of the Speech resource")
    list_.add_argument("--status", choices=JOB_STATUSES)

    delete = command("delete", commands.delete, "delete finished jobs")
    delete.add_argument("ids", metavar="ID", nargs="+")

    files = command("files", commands.files, "list a synthesis' files (--api longaudio)")
    files.add_argument("id", metavar="ID")

    jobs = command("jobs", commands.pipeline_jobs, "what the pipeline's jobs table says")
    jobs.add_argument("--state", choices=[state.value for state in FileState])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (argparse's own exits included)."""
    out, err = sys.stdout, sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    context = Context(args, os.environ, out, err)
    try:
        return args.handler(context)
    except UsageError as error:
        return _fail(context, str(error), 2)
    except ConfigurationError as error:
        return _fail(context, str(error), 2)
    except OperationFailed as error:
        return _fail(context, str(error), 1)
    except SignInError:
        return _fail(
            context,
            "no Speech key is set and Microsoft Entra ID sign-in failed: run `az login` "
            "(or set SPEECH_KEY / pass --key)",
            2,
        )
    except SpeechServiceError as error:
        return _fail(context, _service_message(context, error), 1)
    except ThrottledError as error:
        wait = f" (it asked to wait {error.retry_after:.0f} s)" if error.retry_after else ""
        return _fail(
            context,
            f"the speech service is still throttling requests after retries{wait}: try again later",
            1,
        )
    except TransientError as error:
        hint = "check SPEECH_ENDPOINT" if "could not be reached" in str(error) else "try again"
        return _fail(context, f"{error}: {hint}", 1)
    except ClientAuthenticationError:
        return _fail(context, f"storage refused the credentials: check {STORAGE_CONNECTION}", 1)
    except ServiceRequestError as error:
        return _fail(
            context,
            f"storage could not be reached ({type(error).__name__}): check {STORAGE_CONNECTION}",
            1,
        )
    except HttpResponseError as error:
        code = getattr(error, "error_code", None) or error.reason or "error"
        return _fail(context, f"storage answered HTTP {error.status_code} ({code})", 1)
    except AzureError as error:
        return _fail(context, f"storage request failed ({type(error).__name__})", 1)
    except KeyboardInterrupt:
        return _fail(context, "interrupted", 130)
    finally:
        context.close()


def _fail(context: Context, message: str, code: int) -> int:
    context.note(f"{PROG}: {message}")
    return code


def _service_message(context: Context, error: SpeechServiceError) -> str:
    if error.status == 401:
        if context.key:
            return "the key was refused: check SPEECH_KEY (or --key) and SPEECH_ENDPOINT"
        return (
            "the Microsoft Entra ID token was refused: SPEECH_ENDPOINT must be the resource's "
            "custom-domain endpoint"
        )
    if error.status == 403:
        if context.key:
            return "access denied with this key: check SPEECH_KEY and the resource's network rules"
        return (
            "access denied: your identity needs the Cognitive Services Speech User role on the "
            "Speech resource"
        )
    if error.status == 404:
        return f"not found ({error.code}): check SPEECH_ENDPOINT"
    detail = error.message or error.code
    return f"the speech service refused the request (HTTP {error.status}, {error.code}): {detail}"
