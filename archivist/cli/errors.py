"""How the ``archivist`` command fails: one line on stderr and a non-zero exit.

Usage mistakes exit 2 (click's usage errors, and our ``InvalidInputError``:
a bad name, size, path or setting), every other failure exits 1. User mistakes (our own
errors, click usage errors, OS errors such as a missing file, Ctrl-C) never show
a traceback. An unexpected exception is a bug: it shows one line plus a hint,
and the full traceback only when ``ARCHIVIST_DEBUG=1``.
"""

from __future__ import annotations

import errno
import sys
import traceback
from collections.abc import Callable

import click
from click.exceptions import NoArgsIsHelpError

from archivist.core.errors import ArchivistError, InvalidInputError, TooLargeError

PREFIX = "archivist: error: "
USAGE_EXIT = 2
FAILURE_EXIT = 1
DEBUG_HINT = "set ARCHIVIST_DEBUG=1 to see the traceback"


class Interrupted(Exception):
    """Ctrl-C (or end of input) while a command ran; raised instead of click's Abort.
    Its message, if any, says what the interrupt left behind."""


def one_line(message: str) -> str:
    """Collapse a message onto a single line."""
    return " ".join(str(message).split())


def describe_os_error(error: OSError) -> str:
    """``[Errno 2] No such file or directory: 'x'`` -> ``No such file or directory: 'x'``."""
    if error.strerror and error.filename is not None:
        return f"{error.strerror}: {error.filename!r}"
    return error.strerror or str(error) or type(error).__name__


def _usage_message(error: click.UsageError) -> str:
    message = one_line(error.format_message())
    if error.ctx is not None:
        message += f" (see '{error.ctx.command_path} --help')"
    return message


def _report(message: str) -> None:
    click.echo(PREFIX + one_line(message), err=True)


def run_guarded(invoke: Callable[[], object], debug: bool = False) -> int:
    """Run ``invoke`` and turn any exception into one stderr line and an exit code.

    Returns the exit code: ``invoke``'s result when it is an int (click returns
    the code of ``ctx.exit``), else 0.
    """
    try:
        result = invoke()
    except NoArgsIsHelpError as error:  # bare ``archivist`` or ``archivist artifact``: just help
        click.echo(error.ctx.get_help())
        return 0
    except click.UsageError as error:
        _report(_usage_message(error))
        return USAGE_EXIT
    except click.ClickException as error:
        _report(error.format_message())
        return error.exit_code or FAILURE_EXIT
    except (Interrupted, click.Abort, KeyboardInterrupt, EOFError) as interrupt:
        detail = str(interrupt) if isinstance(interrupt, Interrupted) else ""
        _report(f"interrupted: {detail}" if detail else "interrupted")
        return FAILURE_EXIT
    except ArchivistError as error:
        _show_traceback_if(debug)
        _report(error.message)
        return USAGE_EXIT if is_usage_mistake(error) else FAILURE_EXIT
    except OSError as error:
        if error.errno == errno.EPIPE:  # the reader went away (``| head``): nothing to say
            return FAILURE_EXIT
        _show_traceback_if(debug)
        _report(describe_os_error(error))
        return FAILURE_EXIT
    except Exception as error:  # a bug: say so in one line unless asked for details
        _show_traceback_if(debug)
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        hint = "" if debug else f" ({DEBUG_HINT})"
        _report(f"unexpected internal error: {detail}{hint}")
        return FAILURE_EXIT
    return result if isinstance(result, int) else 0


def is_usage_mistake(error: ArchivistError) -> bool:
    """What was asked is wrong (a name, a size, a value), not what happened while doing it;
    an upload over a size limit or quota is a failure of the work, not of the command line."""
    return isinstance(error, InvalidInputError) and not isinstance(error, TooLargeError)


def _show_traceback_if(debug: bool) -> None:
    if debug:
        traceback.print_exc(file=sys.stderr)
