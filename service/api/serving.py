"""Serving an app as `nhskg serve` does: the main process behind the lookup edge (service/edge/).

The main process (this one) serves the whole app on a Unix socket in a private directory; the
edge process listens on the host and port, answers lookups itself and hands everything else to
the main process. The edge starts first (it listens while the app is built); the main process
publishes its state (the saved reference snapshot's fingerprint, the grants) once the app is
built, and again after every change to either.
Stopping this process (SIGTERM, Ctrl-C) stops the edge; the edge also stops by itself when this
process is gone. `edge=False` (a remote store, a writable numbers store) serves the whole app
from this process, as before the edge existed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from service.api.priority import tune_for_serving
from service.config import Settings
from service.edge.state import FILE_NAME, Publisher
from service.returns.numbers import NumbersStore

GRACE_SECONDS = 10
EDGE_STOP_SECONDS = GRACE_SECONDS + 5


def edge_possible(settings: Settings) -> str | None:
    """Why the edge cannot run for these settings, or None when it can."""
    if settings.store_url:
        return "the store is a remote SPARQL server: there is no saved snapshot to share"
    if settings.store_path is None or settings.numbers_path is None:
        return "the stores are in memory"
    if not settings.numbers_read_only:
        return "the numbers store is open for writing, which excludes a second reader"
    return None


def serve_app(
    make_app: Callable[[], FastAPI], settings: Settings, host: str, port: int, *, edge: bool
) -> None:
    """Serve the app `make_app` builds until stopped (then this process exits); behind the
    lookup edge when `edge`. The edge starts first, so that it is listening by the time the app
    is built (it answers 503 "starting" until then, and hands lookups to the app until it has
    loaded the app's first publication)."""
    if not edge:
        app = make_app()
        app.state.reference.lookup.warm_in_background()
        tune_for_serving()  # uvicorn's event loop runs in this thread: it comes first
        uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, timeout_graceful_shutdown=GRACE_SECONDS)
        ).run()
        _exit()
    if settings.numbers_path and not settings.numbers_path.exists():
        NumbersStore(settings.numbers_path).close()  # made once, before two processes read it
    private = Path(tempfile.mkdtemp(prefix="nhskg-serve-"))  # 0700: only this user connects
    socket_path, state_path = private / "main.sock", private / FILE_NAME
    # uvicorn raises a captured SIGTERM again once it has stopped: here it ends this process
    # through the `finally` below (the edge stopped, the private directory removed), as it does
    # a SIGTERM while the app is still being built.
    signal.signal(signal.SIGTERM, _stop)
    edge_process = _start_edge(settings, state_path, socket_path, host, port)
    print(f"Lookups are answered by process {edge_process.pid}, everything else by this one.")
    stopping = threading.Event()
    edge_failed: list[int] = []

    def watch_edge() -> None:
        """Without the edge nobody listens on the port: its end (it could not bind the port,
        or it was killed) stops this process too, with the edge's exit status."""
        code = edge_process.wait()
        if not stopping.is_set():
            edge_failed.append(code or 1)
            print(f"The lookup process stopped (exit status {code}): stopping.", file=sys.stderr)
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch_edge, name="edge-watch", daemon=True).start()
    try:
        app = make_app()
        app.state.reference.lookup.warm_in_background()
        # Published now and after every change (hooked to the reference and the front door).
        Publisher(state_path, app.state.store, app.state.reference).attach(app.state.front_door)
        tune_for_serving()
        config = uvicorn.Config(
            app, uds=str(socket_path), timeout_graceful_shutdown=GRACE_SECONDS, log_level="warning"
        )
        uvicorn.Server(config).run()
    except (SystemExit, KeyboardInterrupt):  # SIGTERM, or Ctrl-C
        pass
    finally:
        stopping.set()
        edge_process.terminate()
        try:
            edge_process.wait(EDGE_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            edge_process.kill()
        shutil.rmtree(private, ignore_errors=True)
    _exit(edge_failed[0] if edge_failed else 0)


def _start_edge(
    settings: Settings, state_path: Path, socket_path: Path, host: str, port: int
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service.edge",
            "--store",
            str(settings.store_path),
            "--numbers",
            str(settings.numbers_path),
            "--state",
            str(state_path),
            "--socket",
            str(socket_path),
            "--host",
            host,
            "--port",
            str(port),
            "--parent",
            str(os.getpid()),
        ]
    )


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _exit(status: int = 0) -> None:
    """Exit now: worker threads (idle, or abandoned past a time budget) must not hold the exit,
    and the frozen heap need not be torn down object by object."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
