"""Output folders derived from blob names never escape or break the output prefix."""

import pytest

from shared.delivery import output_folder_for
from shared.errors import InputError


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("chapter.txt", "chapter.txt"),
        ("books/moby/ch1.txt", "books/moby/ch1.txt"),
        ("../../etc/passwd.txt", "%2E%2E/%2E%2E/etc/passwd.txt"),
        ("a/./b//c.txt", "a/%2E/b/%/c.txt"),
        ("a\\..\\b.txt", "a%5C..%5Cb.txt"),
        ("50%/_/x.txt", "50%25/_/x.txt"),
        ("名前/ü.txt", "名前/ü.txt"),
    ],
)
def test_safe_folders(name, folder):
    assert output_folder_for(name) == folder
    assert ".." not in output_folder_for(name).split("/")


@pytest.mark.parametrize("name", ["bad\x00name.txt", "tab\tname.txt", "del\x7f.txt", "x" * 901])
def test_unusable_names_are_input_errors(name):
    with pytest.raises(InputError) as error:
        output_folder_for(name)
    assert error.value.code == "name"
