"""`callcenter serve --workers N`: N web processes on one listening socket, migrated once."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import threading
import time
from typing import TYPE_CHECKING

from callcenter.cli import UsageError
from callcenter.db import open_database
from callcenter.settings import Settings, masked_url

if TYPE_CHECKING:
    from fastapi import FastAPI

# What each worker process imports and calls (uvicorn's factory): settings come from the
# environment the parent passes on.
WORKER_APP = "callcenter.web_workers:worker_app"
# uvicorn's exit code for a worker whose app did not start (a broken app, database or key):
# its supervisor then stops every worker instead of restarting them in a loop.
STARTUP_FAILURE = 3
PARENT_CHECK_S = 1.0

log = logging.getLogger("uvicorn.error")


def worker_count(text: str) -> int:
    """An argparse type: how many web processes, 1-64."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers") from None
    if not 0 < count <= 64:
        raise argparse.ArgumentTypeError(f"{count} workers is outside 1-64")
    return count


def check_workers(settings: Settings, workers: int) -> None:
    """Refuse, in one sentence, what several web processes cannot share."""
    if not settings.distributed:
        raise UsageError(
            f"--workers {workers} needs CALLCENTER_BUS_URL (Redis): without it each worker "
            "would have its own consoles and board"
        )
    if settings.ami is not None:
        raise UsageError(
            "--workers runs no PBX link: unset CALLCENTER_AMI_URL and run "
            "`callcenter cti run` for each PBX"
        )
    if settings.agi_listen:
        raise UsageError(
            "--workers cannot share CALLCENTER_AGI_LISTEN's port: unset it and run "
            "`callcenter agi serve`"
        )


def prepare_database(settings: Settings) -> str:
    """Bring the schema up to date (CALLCENTER_MIGRATE_ON_START), or check that a deploy
    step did; returns what was done, for the log."""
    shown = masked_url(settings.database_url)
    if settings.migrate_on_start:
        open_database(settings.database_url, migrate=True).dispose()
        return f"database schema at {shown} brought up to date"
    open_database(settings.database_url, need="users").dispose()
    return f"database schema at {shown} is current (CALLCENTER_MIGRATE_ON_START=false)"


def run_workers(settings: Settings, listener: socket.socket, workers: int) -> int:
    """Migrate once, then run `workers` uvicorn processes on `listener` until SIGINT or
    SIGTERM (which stop them all); a worker that dies is replaced."""
    import uvicorn
    from uvicorn.supervisors.multiprocess import Multiprocess

    from callcenter.app import server_options

    done = prepare_database(settings)
    # The workers read the environment: --database must reach them.
    os.environ["CALLCENTER_DATABASE_URL"] = settings.database_url
    host, port = listener.getsockname()[:2]
    config = uvicorn.Config(
        WORKER_APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        lifespan="on",
        **server_options(settings),
    )
    log.info("%s; starting %d workers", done, workers)
    supervisor = Multiprocess(config, sockets=[listener])
    supervisor.run()
    # A worker whose app did not start stops them all; uvicorn has logged why.
    return 1 if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes) else 0


def worker_app() -> FastAPI:
    """The app of one worker process; the parent has migrated the database already."""
    from callcenter.app import create_app
    from callcenter.settings import get_settings

    _end_with_parent()
    try:
        return create_app(get_settings())
    except Exception:
        # Every worker would fail alike: the supervisor stops them all on this exit code.
        log.exception("web worker %d: the app could not be built", os.getpid())
        raise SystemExit(STARTUP_FAILURE) from None


def _end_with_parent() -> None:
    """Stop this worker (as SIGTERM does) when its parent is gone: a supervisor killed
    outright must not leave workers serving on the port."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        log.warning("web worker %d: the parent process has gone; stopping", os.getpid())
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
