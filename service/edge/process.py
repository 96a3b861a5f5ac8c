"""The edge process: `python -m service.edge` (started by `nhskg serve`, service/api/serving.py).

It listens at once (while the main process builds the app, forwarded requests get 503
"starting"), loads each publication of the main process as it comes and works out every
geography type's lookups in the background, and stops when the main process does (it is told
to, or it finds its parent gone)."""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

import uvicorn

from service.access.tokens import TokenVerifier
from service.api.priority import tune_for_serving
from service.api.serving import GRACE_SECONDS
from service.config import Settings
from service.edge.app import create_edge_app
from service.returns.numbers import NumbersStore

PARENT_CHECK_SECONDS = 1.0
FOLLOW_SECONDS = 0.5


def run(
    settings: Settings, state_path: Path, socket_path: Path, host: str, port: int, parent: int
) -> None:
    verifier = TokenVerifier(settings) if settings.auth_mode != "off" else None
    numbers = NumbersStore(settings.numbers_path, read_only=True)
    app, view = create_edge_app(settings, state_path, socket_path, numbers, verifier)
    tune_for_serving()  # before the snapshot is loaded: view.py freezes it as it installs it

    def follow() -> None:
        """Load each publication as it comes (the first once the app is built), whether or not
        a lookup asks meanwhile; the lookups it can answer are then ready."""
        while True:
            view.current()
            time.sleep(FOLLOW_SECONDS)

    threading.Thread(target=follow, name="edge-follow", daemon=True).start()
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, timeout_graceful_shutdown=GRACE_SECONDS)
    )

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        server.should_exit = True  # the main process is gone (killed): so is the service

    threading.Thread(target=watch_parent, name="edge-parent", daemon=True).start()
    server.run()
    os._exit(0)  # daemon threads (warming, reloads) must not hold the exit


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m service.edge")
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--numbers", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--socket", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True)
    args = parser.parse_args()
    settings = Settings(store_path=args.store, numbers_path=args.numbers, numbers_read_only=True)
    run(settings, args.state, args.socket, args.host, args.port, args.parent)
