import pytest

from archivist.core import errors


def _all() -> list[type[errors.ArchivistError]]:
    return errors._all_subclasses(errors.ArchivistError)


def test_codes_are_unique_and_round_trip() -> None:
    codes = [cls.code for cls in _all()]
    assert len(codes) == len(set(codes))
    for cls in _all():
        assert errors.error_class_for_code(cls.code) is cls
    assert errors.error_class_for_code("no-such-code") is errors.ArchivistError


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.InvalidInputError, ValueError),
        (errors.TypeConflictError, ValueError),
        (errors.ArtifactNotFoundError, LookupError),
        (errors.EntryNotFoundError, KeyError),
        (errors.PathNotFoundError, FileNotFoundError),
        (errors.ArtifactFinalizedError, AttributeError),
        (errors.WaitTimeoutError, TimeoutError),
        (errors.FileChangedError, ValueError),
        (errors.DamagedBlobError, ValueError),
        (errors.NoSpaceError, OSError),
    ],
)
def test_w_and_b_builtins_still_catch(cls: type, builtin: type) -> None:
    with pytest.raises(builtin):
        raise cls("boom")


def test_key_error_message_is_not_quoted() -> None:
    assert str(errors.EntryNotFoundError("path 'x' missing")) == "path 'x' missing"


def test_a_full_disk_is_507_and_a_damaged_blob_names_its_digest() -> None:
    assert (errors.NoSpaceError.code, errors.NoSpaceError.status) == ("no_space", 507)
    assert errors.error_class_for_code("damaged_blob") is errors.DamagedBlobError
    assert errors.DamagedBlobError("bad", "ab" * 32).digest == "ab" * 32
