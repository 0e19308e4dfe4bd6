"""Cancelling a background save (Ctrl-C in ``artifact put``): it wins until the commit
begins, and from then on the save commits and the cancel says so."""

from __future__ import annotations

import pytest

import archivist
from archivist.core.errors import LogCancelledError
from archivist.sdk.run_artifacts import cancel_pending
from archivist.sdk.saver import SaveControl


def test_a_cancel_before_the_commit_stops_the_save_at_its_next_step() -> None:
    control = SaveControl("d")
    assert control.cancel() is True
    with pytest.raises(LogCancelledError, match="'d' was cancelled; nothing was committed"):
        control.check()
    with pytest.raises(LogCancelledError):
        control.begin_commit()
    reports: list[int] = []
    with pytest.raises(LogCancelledError):
        control.watching(reports.append)(10)  # a transfer stops at its next progress report
    assert reports == []


def test_a_cancel_once_the_commit_began_is_too_late() -> None:
    control = SaveControl("d")
    control.begin_commit()
    assert control.cancel() is False
    control.check()  # the save goes on to its commit


@pytest.mark.usefixtures("archivist_env")
def test_cancelled_logs_commit_nothing_and_the_run_reads_killed() -> None:
    run = archivist.init(project="p")
    for i in range(3):
        art = archivist.Artifact("d", type="dataset")
        with art.new_file("x.txt", mode="w") as f:
            f.write(str(i))
        run.log_artifact(art)
    committed = run._kill()
    versions = archivist.Api().artifacts("dataset", "p/d") if archivist.Api().artifact_exists("p/d") else []
    # a save whose commit had begun when the run was killed is committed and returned
    assert sorted(a.version for a in committed) == sorted(a.version for a in versions)
    assert archivist.Api().run(f"p/{run.id}").state == "killed"
    assert cancel_pending(run) == []  # nothing left pending
