"""The fast tier of the hostile corpus: every case through `output_folder_for` and
`build_document` (what the blob trigger does before anything touches the service)."""

from __future__ import annotations

import pytest

from shared.delivery import output_folder_for
from shared.documents import build_document
from shared.errors import InputError
from tests.corpus.cases import CASES, GOOD, Case, Catalog, corpus_settings

SETTINGS = corpus_settings()


def judge(case: Case) -> InputError:
    """The InputError the pipeline would report for this file, in the pipeline's order."""
    with pytest.raises(InputError) as caught:
        output_folder_for(case.name)
        build_document(case.name, case.data, dict(case.metadata), SETTINGS, Catalog())
    return caught.value


def test_the_corpus_is_big_and_ids_are_unique() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case_is_refused_with_a_message_that_says_what_to_fix(case: Case) -> None:
    error = judge(case)
    assert (error.code, case.hint in error.message) == (case.code, True), error.message
    assert len(error.message) < 2000  # never echoes the file back
    assert "Traceback" not in error.message and "sys." not in error.message
    assert error.to_dict()["code"] == case.code
    if case.output_folder is not None:
        folder = output_folder_for(case.name)
        assert folder == case.output_folder
        assert not {"", ".", ".."} & set(folder.split("/"))


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_files_are_accepted(name: str) -> None:
    data, metadata = GOOD[name]
    document = build_document(name, data, dict(metadata), SETTINGS, Catalog())
    assert document.input_count == 1 and output_folder_for(name) == name


def test_10001_paragraphs_become_two_jobs() -> None:
    settings = corpus_settings(max_file_bytes=50 * 1024 * 1024)
    assert settings.max_inputs_per_job == 10_000
    text = "".join(f"Paragraph number {n}.\n" for n in range(10_001))
    document = build_document("many.txt", text.encode(), {}, settings, Catalog())
    assert document.input_count == 10_001
    assert [len(job.inputs) for job in document.jobs] == [10_000, 1]
    assert [job.first_input for job in document.jobs] == [0, 10_000]
    assert document.jobs[1].inputs[0].content == "Paragraph number 10000."


def test_ogg_without_concatenation_is_fine() -> None:
    metadata = {"outputformat": "ogg-24khz-16bit-mono-opus", "concatenate": "false"}
    document = build_document("ok.txt", b"Hello.", metadata, SETTINGS, Catalog())
    assert document.options.output_format == "ogg-24khz-16bit-mono-opus"
