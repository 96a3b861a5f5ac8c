"""`python -m bench.lookup_server STORE PORT [HTTP]`: the real app under uvicorn on
127.0.0.1:PORT, over an existing store opened read-only, with the LRF timelines worked out
before it listens (what a deployment would do at start-up), for bench/lookup_bench.py. HTTP
names uvicorn's parser (h11, httptools; default auto)."""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from service.api.app import create_app
from service.config import Settings
from service.rdf.store import GraphStore


def main(argv: list[str]) -> None:
    store = GraphStore(Path(argv[0]), read_only=True)
    app = create_app(Settings(store_path=None), store=store)
    app.state.reference.lookup.warm(["LRF"])
    http = argv[2] if len(argv) > 2 else "auto"  # auto: httptools when installed, else h11
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(argv[1]),
        http=http,  # type: ignore[arg-type]
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
