"""Every failure is one ``archivist: error:`` line on stderr, never a traceback."""

from __future__ import annotations

import errno

import pytest

from archivist.cli.errors import DEBUG_HINT, describe_os_error, run_guarded

USAGE = 2
FAILURE = 1


def assert_one_error_line(result, exit_code: int, *fragments: str) -> None:
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("archivist: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "exit_code", "fragment"),
    [
        (["artifact", "put", "no-such-dir"], FAILURE, "'no-such-dir' does not exist"),
        (["artifact", "put", "{sample}", "--name", "a/b/c/d"], USAGE, "a/b/c/d"),
        (["artifact", "put", "{sample}", "--name", "proj/x:v1"], USAGE, "must not contain ':'"),
        (["artifact", "put", "{sample}", "--metadata", "{bad json"], USAGE, "not valid JSON"),
        (["artifact", "put", "{sample}", "--type", "job"], USAGE, "reserved"),
        (["artifact", "put", "{sample}/README.md", "--name", "bad name"], USAGE, "'bad name'"),
        (["artifact", "get", "proj/never-logged:latest"], FAILURE, "never-logged"),
        (["artifact", "ls", "a/b/c"], USAGE, "a/b/c"),
        (["artifact", "lineage", "x/y/z/w"], USAGE, "x/y/z/w"),
        (["artifact", "cache", "cleanup", "10XB"], USAGE, "10XB"),
        (["artifact", "put"], USAGE, "Missing argument 'PATH'"),
        (["artifact", "put", "{sample}", "--bogus"], USAGE, "--bogus"),
        (["artifact", "put", "{sample}", "--policy", "sometimes"], USAGE, "sometimes"),
        (["artifact", "lineage", "x", "--direction", "sideways"], USAGE, "sideways"),
        (["artifact", "lineage", "x", "--depth", "0"], USAGE, "--depth"),
        (["artifact", "nonsense"], USAGE, "nonsense"),
        (["server", "--db", "sqlite:///x.db", "--store", "s", "--blob-port", "99999"], USAGE, "'off'"),
        (["server", "--db", "sqlite:///x.db", "--store", "s", "--blob-port", "near"], USAGE, "port number"),
    ],
)
def test_bad_input_is_one_line_on_stderr(invoke, sample_tree, args, exit_code, fragment):
    result = invoke(*(arg.replace("{sample}", str(sample_tree.path)) for arg in args))
    assert_one_error_line(result, exit_code, fragment)
    assert result.stdout == ""


def test_usage_errors_point_at_the_help_of_the_command(invoke):
    result = invoke("artifact", "put")
    assert_one_error_line(result, USAGE, "(see 'archivist artifact put --help')")


def test_unknown_alias_of_an_existing_artifact(invoke, sample_tree):
    assert invoke("artifact", "put", str(sample_tree.path), "-n", "proj/sample").exit_code == 0
    result = invoke("artifact", "get", "proj/sample:nope")
    assert_one_error_line(result, FAILURE, "nope")


def test_a_root_below_a_file_is_one_line_naming_it(invoke, sample_tree):
    assert invoke("artifact", "put", str(sample_tree.path), "-n", "proj/sample").exit_code == 0
    under_a_file = sample_tree.path / "README.md" / "sub"
    result = invoke("artifact", "get", "proj/sample", "--root", str(under_a_file))
    assert_one_error_line(result, USAGE, "README.md", "not a folder")


def test_without_a_command_the_help_is_shown(invoke):
    result = invoke()
    assert result.exit_code == 0
    assert "Commands:" in result.stdout and "artifact" in result.stdout
    assert result.stderr == ""


def raise_(error: BaseException):
    def invoke() -> None:
        raise error

    return invoke


def test_a_bug_is_one_line_with_a_hint_unless_debugging(capsys):
    assert run_guarded(raise_(RuntimeError("boom"))) == FAILURE
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"archivist: error: unexpected internal error: RuntimeError: boom ({DEBUG_HINT})"
    ]

    assert run_guarded(raise_(RuntimeError("boom")), debug=True) == FAILURE
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.splitlines()[-1] == "archivist: error: unexpected internal error: RuntimeError: boom"


def test_interrupts_and_os_errors_are_user_errors(capsys):
    assert run_guarded(raise_(KeyboardInterrupt())) == FAILURE
    assert capsys.readouterr().err == "archivist: error: interrupted\n"

    denied = PermissionError(errno.EACCES, "Permission denied", "/data/x")
    assert run_guarded(raise_(denied)) == FAILURE
    assert capsys.readouterr().err == "archivist: error: Permission denied: '/data/x'\n"

    assert run_guarded(raise_(BrokenPipeError(errno.EPIPE, "Broken pipe"))) == FAILURE
    assert capsys.readouterr().err == ""


def test_multi_line_messages_are_collapsed_and_results_pass_through(capsys):
    assert run_guarded(raise_(ValueError("first\nsecond"))) == FAILURE
    assert "first second" in capsys.readouterr().err
    assert run_guarded(lambda: 3) == 3
    assert run_guarded(lambda: None) == 0


def test_describe_os_error_without_a_file_name():
    assert describe_os_error(OSError(errno.ENOSPC, "No space left on device")) == "No space left on device"
    assert describe_os_error(OSError("plain")) == "plain"
