"""The app settings contract: what Bicep gives the function app, what local.settings.sample.json
lists and what the code reads (shared.config.SETTING_NAMES) are the same set of settings, apart
from the Functions host's own settings. The storage connection counts once, whether it is a
connection string (SPEECHDROP_STORAGE, local) or identity-based (SPEECHDROP_STORAGE__*, Azure).
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from shared.config import SETTING_NAMES, STORAGE_CONNECTION, Settings
from tests.infra.bicep import INFRA, ROOT, parse

FUNCTION_APP_BICEP = INFRA / "modules" / "functionapp.bicep"
IDENTITY_SUFFIXES = {
    "blobServiceUri",
    "tableServiceUri",
    "queueServiceUri",
    "credential",
    "clientId",
}

# Settings that belong to the Functions host and platform, not to speechdrop's code.
HOST_SETTING = re.compile(
    r"^(AzureWebJobsStorage(__\w+)?|AzureWebJobsFeatureFlags|FUNCTIONS_\w+|APPLICATIONINSIGHTS_\w+"
    r"|AZURE_CLIENT_ID)$"
)
# Rejected by Flex Consumption (runtime and deployment live in functionAppConfig), or secrets.
FORBIDDEN_IN_AZURE = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_CONTENTSHARE",
    "AzureWebJobsStorage",
    STORAGE_CONNECTION,
    "APPINSIGHTS_INSTRUMENTATIONKEY",
}


def bicep_app_settings() -> dict[str, Any]:
    return parse(FUNCTION_APP_BICEP)["variables"]["appSettings"]["value"]


def sample_settings() -> dict[str, str]:
    return json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]


def app_names(names: set[str]) -> set[str]:
    """The settings of speechdrop's code, with the storage connection's forms folded into one."""
    prefix = f"{STORAGE_CONNECTION}__"
    return {
        STORAGE_CONNECTION if name.startswith(prefix) else name
        for name in names
        if not HOST_SETTING.match(name)
    }


def test_bicep_gives_exactly_what_the_code_reads() -> None:
    assert app_names(set(bicep_app_settings())) == set(SETTING_NAMES)


def test_sample_lists_exactly_what_the_code_reads() -> None:
    assert app_names(set(sample_settings())) == set(SETTING_NAMES)


def test_both_storage_connections_are_identity_based_in_azure() -> None:
    settings = bicep_app_settings()
    for connection in (STORAGE_CONNECTION, "AzureWebJobsStorage"):
        suffixes = {
            name.split("__", 1)[1] for name in settings if name.startswith(f"{connection}__")
        }
        assert suffixes == IDENTITY_SUFFIXES, connection
        assert settings[f"{connection}__credential"] == "managedidentity"
        # The same user-assigned identity everywhere.
        assert settings[f"{connection}__clientId"] == "identityClientId"
    assert settings["AZURE_CLIENT_ID"] == "identityClientId"
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == (
        "ClientId=${identityClientId};Authorization=AAD"
    )


def test_no_flex_incompatible_or_secret_settings() -> None:
    assert not FORBIDDEN_IN_AZURE & set(bicep_app_settings())


def test_speech_key_is_empty_in_azure() -> None:
    # Empty SPEECH_KEY means Entra ID auth; the Speech account has local auth disabled.
    assert bicep_app_settings()["SPEECH_KEY"] == ""


def test_bicep_defaults_match_the_code_defaults() -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    params = parse(INFRA / "main.bicep")["parameters"]
    pairs = {
        "inputContainerName": "input_container",
        "outputContainerName": "output_container",
        "jobsTableName": "jobs_table",
        "pollSchedule": "poll_schedule",
        "defaultVoice": "default_voice",
        "defaultOutputFormat": "default_output_format",
        "maxFileBytes": "max_file_bytes",
        "maxInputChars": "max_input_chars",
        "maxJobPayloadBytes": "max_job_payload_bytes",
        "maxInputsPerJob": "max_inputs_per_job",
        "jobTimeoutMinutes": "job_timeout_minutes",
        "serviceTtlHours": "service_ttl_hours",
    }
    for param, field in pairs.items():
        assert params[param]["default"] == defaults[field], param


def _binding_references() -> tuple[set[str], set[str]]:
    """(%SETTING% names, connection names) used by the app's bindings."""
    if not (ROOT / "function_app.py").is_file():
        pytest.skip("function_app.py does not exist yet: no bindings to check")
    import function_app

    # FunctionApp.get_functions() refuses a second call (azure-functions 1.x): index the app
    # through the one shared, cached indexer that the other tests and the local runner use.
    from devtools.runner import app_functions

    expressions: set[str] = set()
    connections: set[str] = set()
    for fn in app_functions(function_app.app).values():
        for raw in fn.get_raw_bindings():
            binding = json.loads(raw)
            for value in binding.values():
                if isinstance(value, str):
                    expressions.update(re.findall(r"%([^%]+)%", value))
            if binding.get("connection"):
                connections.add(binding["connection"])
    return expressions, connections


def test_every_binding_expression_is_a_setting() -> None:
    expressions, _ = _binding_references()
    assert expressions, "expected %INPUT_CONTAINER% and %POLL_SCHEDULE% at least"
    for names in (set(bicep_app_settings()), set(sample_settings()), set(SETTING_NAMES)):
        assert expressions <= names, expressions - names


def test_every_binding_connection_is_configured() -> None:
    _, connections = _binding_references()
    bicep = set(bicep_app_settings())
    for connection in connections:
        assert any(name.startswith(f"{connection}__") for name in bicep), connection
        assert connection in sample_settings(), connection
