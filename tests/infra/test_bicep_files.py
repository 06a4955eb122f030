"""Every Bicep file parses offline, modules resolve locally, and the azd wiring is consistent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.infra.bicep import INFRA, ROOT, bicep_files, body, one_resource, parse

MAIN = INFRA / "main.bicep"


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_bicep_file_parses(path: Path) -> None:
    parsed = parse(path)
    assert parsed.get("resources") or parsed.get("modules") or parsed.get("outputs")


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_modules_are_local_files_that_exist(path: Path) -> None:
    text = path.read_text()
    # Registry modules cannot be resolved offline and pycep cannot parse `import ... from`.
    assert not re.search(r"""^\s*module\s+\w+\s+'(br|ts)[:/]""", text, re.MULTILINE)
    assert not re.search(r"^\s*import\s", text, re.MULTILINE)
    for name, module in (parse(path).get("modules") or {}).items():
        assert module["type"] == "local", f"{path.name}: module {name} is not a local file"
        target = (path.parent / module["detail"]["path"]).resolve()
        assert target.is_file(), f"{path.name}: module {name} -> {target} does not exist"


def test_main_is_subscription_scoped_and_creates_the_resource_group() -> None:
    assert re.search(r"^targetScope = 'subscription'$", MAIN.read_text(), re.MULTILINE)
    rg = one_resource("Microsoft.Resources/resourceGroups")
    assert rg["tags"] == "tags"
    tags = parse(MAIN)["variables"]["tags"]["value"]
    assert tags == {"'azd-env-name'": "environmentName"}


def test_resource_token_is_derived_from_subscription_environment_and_location() -> None:
    token = parse(MAIN)["variables"]["resourceToken"]["value"]["function"]
    assert token["type"] == "to_lower"
    unique = token["parameters"]["string_to_change"]["function"]
    assert unique["type"] == "unique_string"
    params = unique["parameters"]
    assert params["base_string"]["operator"]["operands"]["operand_2"] == "id"
    assert (params["extra_string_1"], params["extra_string_2"]) == ("environmentName", "location")


def test_outputs_are_upper_case() -> None:
    outputs = parse(MAIN)["outputs"]
    assert outputs
    for name in outputs:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name), name
    for needed in (
        "AZURE_FUNCTION_APP_NAME",
        "AZURE_STORAGE_ACCOUNT_NAME",
        "AZURE_RESOURCE_GROUP",
        "INPUT_CONTAINER",
        "OUTPUT_CONTAINER",
        "SPEECH_ENDPOINT",
        "EVENT_GRID_SYSTEM_TOPIC_NAME",
    ):
        assert needed in outputs
    # AZURE_CLIENT_ID in the azd .env would steer azure-identity on a developer's machine.
    assert "AZURE_CLIENT_ID" not in outputs


def test_parameters_file_matches_main_parameters() -> None:
    declared = parse(MAIN)["parameters"]
    given = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert set(given) <= set(declared), set(given) - set(declared)
    required = {name for name, p in declared.items() if p["default"] is None}
    assert required <= set(given), required - set(given)
    assert given["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    assert given["location"]["value"] == "${AZURE_LOCATION}"
    assert given["principalId"]["value"] == "${AZURE_PRINCIPAL_ID}"


def test_azure_yaml_service_matches_the_function_app_tag() -> None:
    azure_yaml = yaml.safe_load((ROOT / "azure.yaml").read_text())
    assert azure_yaml["name"] == "speechdrop"
    services = azure_yaml["services"]
    assert list(services) == ["speechdrop"]
    service = services["speechdrop"]
    assert (service["host"], service["language"], service["project"]) == (
        "function",
        "python",
        ".",
    )
    # azd finds the app to deploy to by its azd-service-name tag.
    assert parse(MAIN)["variables"]["serviceName"]["value"] == "speechdrop"
    app = one_resource("Microsoft.Web/sites")
    assert app["tags"]["function"]["parameters"]["arg_2"] == {"'azd-service-name'": "serviceName"}
    for hook in azure_yaml["hooks"]["postdeploy"].values():
        assert (ROOT / hook["run"]).is_file(), hook["run"]


def test_function_app_is_flex_consumption_python_311_with_user_assigned_identity() -> None:
    plan = one_resource("Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    app = one_resource("Microsoft.Web/sites")
    assert app["kind"] == "functionapp,linux"
    assert app["identity"]["type"] == "UserAssigned"
    props = app["properties"]
    assert props["httpsOnly"] is True
    config = props["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "pythonVersion"}
    params = parse(INFRA / "modules" / "functionapp.bicep")["parameters"]
    assert params["pythonVersion"]["default"] == "3.11"
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"]["type"] == "UserAssignedIdentity"
    assert set(config["scaleAndConcurrency"]) == {"instanceMemoryMB", "maximumInstanceCount"}


def test_storage_is_locked_to_entra_id() -> None:
    account = one_resource("Microsoft.Storage/storageAccounts")
    props = account["properties"]
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True
    blob = one_resource("Microsoft.Storage/storageAccounts/blobServices")["properties"]
    assert blob["deleteRetentionPolicy"]["enabled"] is True
    assert blob["containerDeleteRetentionPolicy"]["enabled"] is True
    containers = parse(INFRA / "modules" / "storage.bicep")["resources"]["containers"]
    loop = containers["config"]["loop_type"]["detail"]["array_name"]
    assert loop == ["inputContainerName", "outputContainerName", "deploymentContainerName"]
    assert one_resource("Microsoft.Storage/storageAccounts/tableServices/tables")


def test_speech_is_s0_with_custom_subdomain_and_no_keys() -> None:
    speech = one_resource("Microsoft.CognitiveServices/accounts")
    assert speech["kind"] == "SpeechServices"
    # F0 cannot run batch synthesis.
    assert speech["sku"] == {"name": "S0"}
    assert speech["properties"]["disableLocalAuth"] is True
    assert speech["properties"]["customSubDomainName"] == "name"
    for module in ("speech.bicep", "speech-existing.bicep"):
        endpoint = parse(INFRA / "modules" / module)["outputs"]["endpoint"]["value"]
        assert endpoint.endswith(".cognitiveservices.azure.com"), endpoint
        assert "customSubDomainName" in endpoint


def test_application_insights_has_local_auth_disabled() -> None:
    component = one_resource("Microsoft.Insights/components")
    assert component["properties"]["DisableLocalAuth"] is True
    assert component["properties"]["WorkspaceResourceId"]


def test_event_grid_system_topic_watches_the_storage_account() -> None:
    topic = one_resource("Microsoft.EventGrid/systemTopics")
    assert topic["properties"]["topicType"] == "Microsoft.Storage.StorageAccounts"
    # The subscription to the blob trigger is made by the postdeploy hook (needs the key).
    for hook in ("postdeploy.sh", "postdeploy.ps1"):
        text = (INFRA / "hooks" / hook).read_text()
        assert "systemKeys.blobs_extension" in text
        assert "Host.Functions." in text and "accept_dropped_file" in text
        assert "Microsoft.Storage.BlobCreated" in text
        assert "/blobServices/default/containers/" in text


def test_modules_are_wired_to_the_resource_group() -> None:
    modules = parse(MAIN)["modules"]
    assert {"rbac", "functionApp", "storage", "monitoring", "identity", "eventGrid"} <= set(modules)
    assert body(modules["functionApp"])["scope"] == "rg"


def test_hooks_read_only_variables_that_main_outputs() -> None:
    outputs = set(parse(MAIN)["outputs"])
    optional = {"BLOB_TRIGGER_FUNCTION_NAME", "EVENT_SUBSCRIPTION_NAME"}
    for hook, pattern in (
        ("postdeploy.sh", r"\$\{([A-Z][A-Z0-9_]+)"),
        ("postdeploy.ps1", r"\$env:([A-Z][A-Z0-9_]+)"),
    ):
        used = set(re.findall(pattern, (INFRA / "hooks" / hook).read_text()))
        assert used, hook
        assert used - optional <= outputs, (hook, used - optional - outputs)
    required = {"AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME", "EVENT_GRID_SYSTEM_TOPIC_NAME"}
    assert required <= outputs


def test_blob_trigger_function_name_output_names_the_blob_trigger() -> None:
    name = parse(MAIN)["outputs"]["BLOB_TRIGGER_FUNCTION_NAME"]["value"]
    assert name == "accept_dropped_file"
    for hook in ("postdeploy.sh", "postdeploy.ps1"):
        assert name in (INFRA / "hooks" / hook).read_text()
