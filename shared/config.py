"""Settings: one frozen dataclass, read from the environment when first needed.

Every app setting speechdrop reads is declared here, with its default. Nothing reads the
environment at import time: `Settings.from_env()` is called by the pipeline on first use
and tests build `Settings(...)` directly. A missing or invalid setting raises
`ConfigurationError` naming the setting.

Storage is reached through one connection name (`STORAGE_CONNECTION`, the same name the
blob trigger binding uses): either `<name>` holds a connection string (Azurite, local
runs) or the identity-based settings `<name>__blobServiceUri`, `<name>__tableServiceUri`,
`<name>__queueServiceUri`, `<name>__credential` and `<name>__clientId` describe it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from shared.errors import ConfigurationError

__all__ = ["STORAGE_CONNECTION", "SETTING_NAMES", "Settings", "StorageConnection"]

#: The connection name used by the blob trigger binding and by the storage clients.
STORAGE_CONNECTION = "SPEECHDROP_STORAGE"

#: Every app setting the code reads (identity-based storage settings are suffixes of
#: STORAGE_CONNECTION; AZURE_CLIENT_ID is read by azure-identity itself).
SETTING_NAMES = (
    STORAGE_CONNECTION,
    "INPUT_CONTAINER",
    "OUTPUT_CONTAINER",
    "JOBS_TABLE",
    "POLL_SCHEDULE",
    "SPEECH_ENDPOINT",
    "SPEECH_KEY",
    "DEFAULT_VOICE",
    "DEFAULT_OUTPUT_FORMAT",
    "MAX_FILE_BYTES",
    "MAX_INPUT_CHARS",
    "MAX_JOB_PAYLOAD_BYTES",
    "MAX_INPUTS_PER_JOB",
    "JOB_TIMEOUT_MINUTES",
    "SERVICE_TTL_HOURS",
    "SYNTHESIS_BACKEND",
    "LONG_AUDIO_ENDPOINT",
)

# "UseDevelopmentStorage=true" is the Functions host's shorthand for Azurite's default
# account; the Storage SDKs do not understand it, so it is expanded here. The key is the
# public, documented Azurite development key (not a secret).
_DEVELOPMENT_STORAGE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
    "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
    "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
)

_CONTAINER_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")
_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,62}$")


@dataclass(frozen=True)
class StorageConnection:
    """How to reach Storage: a connection string, or service URIs plus an identity."""

    connection_string: str | None = None
    blob_service_uri: str | None = None
    table_service_uri: str | None = None
    client_id: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], name: str = STORAGE_CONNECTION) -> StorageConnection:
        connection_string = env.get(name, "").strip()
        if connection_string.replace(" ", "").lower() == "usedevelopmentstorage=true":
            return cls(connection_string=_DEVELOPMENT_STORAGE)
        if connection_string:
            return cls(connection_string=connection_string)
        blob_uri = env.get(f"{name}__blobServiceUri", "").strip()
        table_uri = env.get(f"{name}__tableServiceUri", "").strip()
        if not blob_uri or not table_uri:
            raise ConfigurationError(
                f"Set {name} to a storage connection string, or set {name}__blobServiceUri "
                f"and {name}__tableServiceUri for identity-based access."
            )
        client_id = env.get(f"{name}__clientId", "").strip() or None
        return cls(blob_service_uri=blob_uri, table_service_uri=table_uri, client_id=client_id)


@dataclass(frozen=True)
class Settings:
    """Everything the app is configured with. Defaults suit a real deployment."""

    storage: StorageConnection | None
    speech_endpoint: str
    speech_key: str | None = None
    input_container: str = "input"
    output_container: str = "output"
    jobs_table: str = "speechdropjobs"
    # the host reads %POLL_SCHEDULE% itself; the default here is the one Bicep must match
    poll_schedule: str = "*/30 * * * * *"
    default_voice: str = "en-US-AvaMultilingualNeural"
    default_output_format: str = "audio-24khz-96kbitrate-mono-mp3"
    max_file_bytes: int = 50 * 1024 * 1024
    max_input_chars: int = 3000
    max_job_payload_bytes: int = 2_000_000
    max_inputs_per_job: int = 10_000
    job_timeout_minutes: int = 24 * 60
    service_ttl_hours: int = 48
    synthesis_backend: str = "batch"
    long_audio_endpoint: str = ""  # empty: SPEECH_ENDPOINT (the emulator serves both)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        need_speech: bool = True,
        need_storage: bool = True,
    ) -> Settings:
        """Settings from `env` (default: the process environment).

        Tools that use only one side (the CLI's `jobs` needs no Speech, `voices` no
        Storage) pass `need_speech` / `need_storage` False; the side not needed is then
        read if present and left empty (`speech_endpoint == ""`, `storage is None`)
        otherwise.
        """
        env = os.environ if env is None else env
        endpoint = env.get("SPEECH_ENDPOINT", "").strip().rstrip("/")
        if (need_speech or endpoint) and not endpoint.startswith(("https://", "http://")):
            raise ConfigurationError(
                "Set SPEECH_ENDPOINT to the Speech resource endpoint, e.g. "
                "https://<name>.cognitiveservices.azure.com (or the local emulator's URL)."
            )
        storage = None
        if need_storage or _storage_configured(env):
            storage = StorageConnection.from_env(env)
        optional = _optional_settings(env)
        optional.setdefault("long_audio_endpoint", endpoint)
        optional["long_audio_endpoint"] = str(optional["long_audio_endpoint"]).rstrip("/")
        settings = cls(
            storage=storage,
            speech_endpoint=endpoint,
            speech_key=env.get("SPEECH_KEY", "").strip() or None,
            **optional,
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        for setting, value in (
            ("INPUT_CONTAINER", self.input_container),
            ("OUTPUT_CONTAINER", self.output_container),
        ):
            if not _CONTAINER_NAME.match(value):
                raise ConfigurationError(f"{setting}={value!r} is not a valid container name.")
        if self.input_container == self.output_container:
            raise ConfigurationError("INPUT_CONTAINER and OUTPUT_CONTAINER must differ.")
        if not _TABLE_NAME.match(self.jobs_table):
            raise ConfigurationError(f"JOBS_TABLE={self.jobs_table!r} is not a valid table name.")
        if not 1 <= self.max_inputs_per_job <= 10_000:
            raise ConfigurationError("MAX_INPUTS_PER_JOB must be between 1 and 10000.")
        if not 1 <= self.service_ttl_hours <= 744:
            raise ConfigurationError("SERVICE_TTL_HOURS must be between 1 and 744.")
        if self.max_input_chars < 100:
            raise ConfigurationError("MAX_INPUT_CHARS must be at least 100.")
        if self.synthesis_backend not in ("batch", "longaudio"):
            raise ConfigurationError("SYNTHESIS_BACKEND must be batch or longaudio.")


_INT_SETTINGS = {
    "MAX_FILE_BYTES": "max_file_bytes",
    "MAX_INPUT_CHARS": "max_input_chars",
    "MAX_JOB_PAYLOAD_BYTES": "max_job_payload_bytes",
    "MAX_INPUTS_PER_JOB": "max_inputs_per_job",
    "JOB_TIMEOUT_MINUTES": "job_timeout_minutes",
    "SERVICE_TTL_HOURS": "service_ttl_hours",
}
_STR_SETTINGS = {
    "INPUT_CONTAINER": "input_container",
    "OUTPUT_CONTAINER": "output_container",
    "JOBS_TABLE": "jobs_table",
    "POLL_SCHEDULE": "poll_schedule",
    "DEFAULT_VOICE": "default_voice",
    "DEFAULT_OUTPUT_FORMAT": "default_output_format",
    "SYNTHESIS_BACKEND": "synthesis_backend",
    "LONG_AUDIO_ENDPOINT": "long_audio_endpoint",
}


def _storage_configured(env: Mapping[str, str], name: str = STORAGE_CONNECTION) -> bool:
    return any(key == name or key.startswith(f"{name}__") for key, value in env.items() if value)


def _optional_settings(env: Mapping[str, str]) -> dict[str, object]:
    """The settings that have defaults: only those present in `env` are returned."""
    values: dict[str, object] = {}
    for setting, field in _STR_SETTINGS.items():
        if value := env.get(setting, "").strip():
            values[field] = value
    for setting, field in _INT_SETTINGS.items():
        raw = env.get(setting, "").strip()
        if not raw:
            continue
        try:
            number = int(raw)
        except ValueError:
            raise ConfigurationError(f"{setting}={raw!r} is not a whole number.") from None
        if number <= 0:
            raise ConfigurationError(f"{setting} must be positive, not {number}.")
        values[field] = number
    return values
