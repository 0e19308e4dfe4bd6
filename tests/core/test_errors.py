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
    ],
)
def test_w_and_b_builtins_still_catch(cls: type, builtin: type) -> None:
    with pytest.raises(builtin):
        raise cls("boom")


def test_key_error_message_is_not_quoted() -> None:
    assert str(errors.EntryNotFoundError("path 'x' missing")) == "path 'x' missing"
