"""Helpers for the offline infrastructure tests: parse Bicep with pycep, read its structure.

There is no Bicep compiler offline, so these tests read the templates as data. pycep gives
every expression as a string (an identifier or a literal), a `{"function": ...}` or an
`{"operator": ...}` node; conditional and looped resources wrap their body in `config`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@cache
def _parser() -> BicepParser:
    return BicepParser(cache=False)


@cache
def parse(path: Path) -> dict[str, Any]:
    return _parser().parse(file_path=path)


def body(resource_or_module: dict[str, Any]) -> dict[str, Any]:
    """The declared body of a resource or module, under any `if (...)` or `for` wrapper."""
    config = resource_or_module["config"]
    while "config" in config and ("condition" in config or "loop_type" in config):
        config = config["config"]
    return config


def resources_of_type(resource_type: str) -> list[tuple[Path, str, dict[str, Any]]]:
    found = []
    for path in bicep_files():
        for name, resource in (parse(path).get("resources") or {}).items():
            if resource["type"].lower() == resource_type.lower() and not resource["existing"]:
                found.append((path, name, resource))
    return found


def one_resource(resource_type: str) -> dict[str, Any]:
    found = resources_of_type(resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {[n for _, n, _ in found]}"
    return body(found[0][2])
