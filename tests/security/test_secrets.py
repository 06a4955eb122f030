"""Secret scan: a run with good, bad, failing and throttled files (and one with a wrong
key) leaks no key, token or SAS into logs at DEBUG, outputs, status answers or errors."""

from __future__ import annotations

import io
import logging
import re
from contextlib import closing

import httpx
import pytest

from shared.errors import SpeechdropError
from shared.speech import SpeechClient
from tests.corpus.cases import TEXT
from tests.security.scan import SAS_PARAMETER, capture_all_logs, find_secrets, render

pytestmark = pytest.mark.integration

WRONG_KEY = "wrong-key-5f0c1d9e7a3b4c2d"


def test_scanner_finds_what_it_looks_for():
    texts = [
        ("a", "GET http://x/r.zip?sv=1&se=2030-01-01T00:00:00Z&sig=abc"),
        ("b", "AccountKey=xyz"),
        ("c", "Authorization: Bearer eyJ"),
        ("d", "key is s3cr3t-value"),
        ("e", "response=close; false=0"),  # `se=` inside words is not a SAS parameter
    ]
    found = find_secrets(texts, ["s3cr3t-value"])
    assert [f.split(":")[0] for f in found] == ["a", "b", "c", "d"]
    assert not SAS_PARAMETER.search("the response=ok")


def test_no_secret_in_logs_outputs_status_or_errors(make_app, stack):
    secrets = [stack.azurite.account_key, stack.emulator.key, WRONG_KEY]
    texts: list[tuple[str, str]] = []
    with capture_all_logs() as records:
        # httpx logs request lines (SAS query strings included) at INFO: it must stay off
        # even though the root logger is at DEBUG now.
        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING

        app = make_app()
        stack.faults(errors={"*": {"429": 0.3}}, seed=5)
        app.drop("good.txt", TEXT.encode())
        app.drop("bad.txt", "Ça ne va pas.".encode("latin-1"))
        app.runner.run_until_settled(["good.txt", "bad.txt"], interval=0.3, timeout=120)

        stack.faults(errors={}, fail_input=1.0, seed=5)
        app.drop("fails.txt", TEXT.encode())
        statuses = app.runner.run_until_settled(
            ["good.txt", "bad.txt", "fails.txt"], interval=0.3, timeout=120
        )
        stack.faults(fail_input=0.0)
        assert [statuses[n]["state"] for n in ("good.txt", "bad.txt", "fails.txt")] == [
            "delivered",
            "failed",
            "failed",
        ]
        assert statuses["fails.txt"]["error"]["code"] == "synthesis"

        texts += [(f"status {name}", repr(app.runner.get(f"jobs/{name}"))) for name in statuses]
        texts.append(("status list", repr(app.runner.get("jobs"))))
        texts.append(("status 404", repr(app.runner.get("jobs/never-seen.txt"))))
        for blob in app.output.list_blobs():
            data = app.output.download_blob(blob.name).readall()
            texts.append((f"output {blob.name}", data.decode("latin-1")))

        # the service refuses our credentials (see test_credentials.py for what should
        # happen then): whatever is logged or raised shows no key
        wrong = make_app(SPEECH_KEY=WRONG_KEY)
        wrong.drop("queued.txt", TEXT.encode())
        try:
            wrong.runner.deliver_new_events()
        except SpeechdropError as error:
            texts += [("exception from accept", m) for m in _chain(error)]
        wrong.runner.tick()
        texts.append(("status queued", repr(wrong.runner.get("jobs/queued.txt"))))

        texts += [(f"exception {m}", m) for m in _speech_client_error_messages(stack)]

        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    texts += [(f"log {r.name}:{r.levelname}", render(r)) for r in records]

    assert any(WRONG_KEY[:4] in text or "401" in text for _, text in texts)
    assert len(records) > 20  # DEBUG records really were captured
    assert find_secrets(texts, secrets) == []


def _speech_client_error_messages(stack) -> list[str]:
    """Messages of the errors the speech client raises around SAS links and bad keys."""
    sas = "sv=emulator&sr=b&sp=r&se=2030-01-01T00%3A00%3A00Z&sig=c2VjcmV0LXNpZ25hdHVyZQ"
    messages = []
    with closing(
        SpeechClient(stack.emulator.endpoint, key=stack.emulator.key, max_attempts=1)
    ) as ok:
        for url in (
            f"{stack.emulator.endpoint}/results/nope/results.zip?{sas}",  # 403/404
            f"http://127.0.0.1:9/results.zip?{sas}",  # nothing listens
        ):
            with pytest.raises(SpeechdropError) as caught:
                ok.download("sd-job", url, io.BytesIO())
            messages += _chain(caught.value)
    with closing(SpeechClient(stack.emulator.endpoint, key=WRONG_KEY, max_attempts=1)) as wrong:
        with pytest.raises(SpeechdropError) as caught:
            wrong.get("sd-job")
        messages += _chain(caught.value)
    return messages


def _chain(error: BaseException | None) -> list[str]:
    """str() and repr() of an error and of everything chained to it."""
    found = []
    while error is not None:
        found += [str(error), repr(error)]
        if isinstance(error, httpx.HTTPError):
            found.append(re.sub(r"\s+", " ", str(error)))
        error = error.__cause__ or error.__context__
    return found
