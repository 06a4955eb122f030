"""Role assignments use the documented built-in role definition ids and deterministic names.

Ids from the Azure built-in roles reference (learn.microsoft.com/azure/role-based-access-control/
built-in-roles): Storage, AI + machine learning and Monitor categories.
"""

from __future__ import annotations

import re

from tests.infra.bicep import GUID, INFRA, bicep_files, body, parse, resources_of_type

DOCUMENTED_ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "f2dc8367-1007-4938-bd23-fe263f013447": "Cognitive Services Speech User",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}
RBAC = INFRA / "rbac.bicep"


def _roles_variable() -> dict[str, str]:
    return parse(RBAC)["variables"]["roles"]["value"]


def test_role_ids_are_the_documented_ones_under_their_names() -> None:
    for key, role_id in _roles_variable().items():
        assert role_id in DOCUMENTED_ROLES, f"{key}: {role_id} is not a documented role id"
        words = re.sub(r"([A-Z])", r" \1", key).lower().split()
        assert words == DOCUMENTED_ROLES[role_id].lower().split(), (key, role_id)


def test_no_other_guids_in_any_template() -> None:
    for path in bicep_files():
        for found in GUID.findall(path.read_text()):
            assert found.lower() in DOCUMENTED_ROLES, f"{path.name}: unknown id {found}"


def test_the_app_identity_gets_the_roles_it_needs() -> None:
    variables = parse(RBAC)["variables"]
    roles = _roles_variable()
    app_storage = {
        DOCUMENTED_ROLES[roles[ref["operator"]["operands"]["operand_2"]]]
        for ref in variables["appStorageRoles"]["value"]
    }
    assert app_storage == {
        "Storage Blob Data Owner",
        "Storage Queue Data Contributor",
        "Storage Table Data Contributor",
    }
    resources = parse(RBAC)["resources"]
    granted = {}
    for name in ("appMonitoring", "appSpeech"):
        role_ref = body(resources[name])["properties"]["roleDefinitionId"]["function"]
        operand = role_ref["parameters"]["resource_name_1"]["operator"]["operands"]["operand_2"]
        granted[name] = DOCUMENTED_ROLES[roles[operand]]
    assert granted == {
        "appMonitoring": "Monitoring Metrics Publisher",
        "appSpeech": "Cognitive Services Speech User",
    }


def test_assignment_names_are_guid_of_scope_principal_and_role() -> None:
    assignments = resources_of_type("Microsoft.Authorization/roleAssignments")
    assert len(assignments) >= 5
    for path, name, resource in assignments:
        assert path == RBAC, f"role assignment {name} outside rbac.bicep"
        config = body(resource)
        guid = config["name"]["function"]
        assert guid["type"] == "guid", name
        params = guid["parameters"]
        scope_id = params["base_string"]["operator"]["operands"]
        assert (scope_id["operand_1"], scope_id["operand_2"]) == (config["scope"], "id"), name
        props = config["properties"]
        assert params["extra_string_1"] == props["principalId"], name
        role_function = props["roleDefinitionId"]["function"]
        assert role_function["type"] == "subscription_resource_id", name
        assert params["extra_string_2"] == role_function["parameters"]["resource_name_1"], name
        # Managed identity assignments say ServicePrincipal (no Entra replication race).
        if props["principalId"] == "appPrincipalId":
            assert props["principalType"] == "ServicePrincipal", name
