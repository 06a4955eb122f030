"""The HTTP status functions show no URL or SAS and reveal nothing about other files.

(That they need a function key is asserted in tests/contract.)"""

from __future__ import annotations

import json

import pytest

from tests.corpus.cases import TEXT
from tests.security.scan import find_secrets

pytestmark = pytest.mark.integration

NOT_SEEN = {"error": "No file of that name has been seen."}


def test_status_answers_show_no_urls_and_unknown_names_reveal_nothing(make_app, stack):
    app = make_app()
    app.drop("secret-plans.txt", TEXT.encode())
    app.drop("broken.txt", "Ça ne va pas.".encode("latin-1"))
    app.runner.run_until_settled(["secret-plans.txt", "broken.txt"], interval=0.3, timeout=120)

    answers = {
        route: app.runner.get(route)
        for route in ("jobs/secret-plans.txt", "jobs/broken.txt", "jobs")
    }
    answers["jobs?state=failed"] = app.runner.get("jobs", {"state": "failed"})
    for route, (code, body) in answers.items():
        assert code == 200, route
        text = json.dumps(body)
        assert "http" not in text and "://" not in text, (route, text)
        assert "127.0.0.1" not in text and "blob.core" not in text, (route, text)
        secrets = [stack.azurite.account_key, stack.emulator.key]
        assert find_secrets([(route, text)], secrets) == []
    assert {"delivered", "failed"} == {v["state"] for v in answers["jobs"][1]["value"]}

    # names never seen: 404 with one fixed message, whatever the name looks like
    for name in (
        "never-seen.txt",
        "secret",  # a prefix of a real name
        "SECRET-PLANS.TXT",  # another case
        "secret-plans.txt/manifest.json",
        "../secret-plans.txt",
        "in-0/../secret-plans.txt",
        "*",
        "secret-plans.txt%00",
        "' or 1 eq 1 or '",  # OData filter injection
        "x" * 2000,
    ):
        assert app.runner.get(f"jobs/{name}") == (404, NOT_SEEN), name


def test_list_limit_errors_echo_nothing(make_app):
    app = make_app()
    code, body = app.runner.get("jobs", {"limit": "<script>alert(1)</script>"})
    assert (code, body) == (400, {"error": "limit must be a whole number"})
    code, body = app.runner.get("jobs", {"state": "' or 1 eq 1 or '"})
    assert (code, body) == (200, {"value": []})
