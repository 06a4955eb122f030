"""Every dependency is pinned to one version, so what is audited is what is deployed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = sorted(ROOT.glob("requirements*.txt"))
_PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9.+!-]+$")
_INCLUDE = re.compile(r"^-r\s+(\S+)$")


def test_there_are_requirement_files() -> None:
    assert {p.name for p in REQUIREMENTS} >= {"requirements.txt", "requirements-dev.txt"}


@pytest.mark.parametrize("path", REQUIREMENTS, ids=[p.name for p in REQUIREMENTS])
def test_every_requirement_is_pinned(path: Path) -> None:
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        include = _INCLUDE.match(line)
        if include:
            assert (path.parent / include.group(1)).is_file(), f"{path.name}:{number}: {raw}"
            continue
        assert _PINNED.match(line), f"{path.name}:{number} is not pinned with ==: {raw!r}"


def test_azurite_is_pinned_exactly() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    for name, version in {
        **package.get("dependencies", {}),
        **package.get("devDependencies", {}),
    }.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is a range"
    assert (ROOT / "package-lock.json").is_file()
