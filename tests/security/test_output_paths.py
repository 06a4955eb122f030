"""Output folders derived from (hostile) blob names stay inside the output container."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from shared.delivery import output_folder_for
from shared.errors import InputError

# Names built from the characters that matter for paths, plus anything else.
_PATHY = st.sampled_from(["/", "\\", ".", "..", "_", "a", "ü", "%2e", " ", "\x00", "\x85"])
NAMES = st.one_of(
    st.lists(_PATHY, max_size=30).map("".join),
    st.text(max_size=200),
    st.text(alphabet="./\\", max_size=50),
)


@given(NAMES)
@example("..")
@example("/")
@example("")
@example("../../etc/passwd.txt")
@example("\\\\server\\share\\x.txt")
@example("a/./b//c/../d.txt")
def test_output_folder_never_has_dot_or_empty_segments_or_a_leading_slash(name: str) -> None:
    try:
        folder = output_folder_for(name)
    except InputError as error:
        assert error.code == "name"
        return
    assert not folder.startswith("/")
    assert not {"", ".", ".."} & set(folder.split("/")), folder
    assert "\\" not in folder


@pytest.mark.parametrize(
    "name", ["nel\x85.txt", "csi\x9b31m.txt", "line\u2028break.txt", "invoice\u202etxt.json"]
)
def test_names_with_other_control_or_formatting_characters_are_refused(name: str) -> None:
    with pytest.raises(InputError) as caught:
        output_folder_for(name)
    assert caught.value.code == "name"


@pytest.mark.parametrize(
    ("one", "other"), [("a//b.txt", "a/_/b.txt"), ("/x.txt", "_/x.txt"), ("a/./b.txt", "a/_/b.txt")]
)
def test_different_names_get_different_folders(one: str, other: str) -> None:
    assert output_folder_for(one) != output_folder_for(other)
