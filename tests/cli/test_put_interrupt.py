"""Ctrl-C during ``archivist artifact put`` cancels the version: a real ``archivist``
process gets SIGINT while it uploads; nothing is committed, the run reads killed, and
stderr holds one line that says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import archivist

SLOW_LINK_SECONDS = 1.5
"""How long the link takes per progress report once the signal came: the margin the
interrupted command has to cancel before its upload could end and commit."""

SLOW_PUT = textwrap.dedent(
    f"""
    import signal, sys, threading, time
    from archivist.cli.main import main
    from archivist.client.transfer.http_blob_transfer import HttpBlobTransfer
    from archivist.service.embedded_transfer import EmbeddedTransfer

    interrupted = threading.Event()

    def on_sigint(signum, frame):
        interrupted.set()
        signal.default_int_handler(signum, frame)  # Ctrl-C as usual: KeyboardInterrupt

    def slow_link(upload_files):
        # A link that stalls at the first bytes until the user presses Ctrl-C, then crawls.
        def upload(self, files, progress=None, held=None):
            def report(count):
                if not interrupted.is_set():
                    print("uploading", flush=True)
                    interrupted.wait(60)
                time.sleep({SLOW_LINK_SECONDS})
                if progress is not None:
                    progress(count)
            return upload_files(self, files, report, held)
        return upload

    signal.signal(signal.SIGINT, on_sigint)
    for transfer in (HttpBlobTransfer, EmbeddedTransfer):
        transfer.upload_files = slow_link(transfer.upload_files)
    main(sys.argv[1:])
    """
)


def test_ctrl_c_while_uploading_commits_nothing_and_marks_the_run_killed(
    script_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "weights.bin"
    data.write_bytes(os.urandom(4 << 20))
    put = subprocess.Popen(
        [sys.executable, "-c", SLOW_PUT, "artifact", "put", str(data), "--name", "proj/weights"],
        env=script_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert put.stdout is not None
        assert put.stdout.readline() == "uploading\n", put.stderr.read() if put.stderr else ""
        put.send_signal(signal.SIGINT)
        _out, err = put.communicate(timeout=60)
    finally:
        put.kill()
    assert put.returncode == 1, err
    api = archivist.Api()
    assert not api.artifact_exists("proj/weights")
    [run] = api.runs("proj")
    assert run.state == "killed" and run.job_type == "cli_put"
    assert err.splitlines() == [
        f"archivist: error: interrupted: nothing was logged; run {'/'.join(run.path)} is marked killed"
    ]
