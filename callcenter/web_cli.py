"""`callcenter serve`: the web app (API, OpenAPI at /docs) and, with a PBX set, the CTI adapter."""

from __future__ import annotations

import argparse
import contextlib
import errno
import socket
from typing import Any

from callcenter.cli import UsageError, add_database_option, port_number, settings_from
from callcenter.settings import parse_listen
from callcenter.web_workers import check_workers, prepare_database, run_workers, worker_count


def register(groups: Any) -> None:
    """Add the `serve` command."""
    serve = groups.add_parser(
        "serve",
        help="run the web app",
        description=(
            "Run the web app with uvicorn. When CALLCENTER_AMI_URL is set, the CTI adapter "
            "runs in the same process and its calls reach the CRM directly."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=port_number, default=8000, help="TCP port (8000)")
    serve.add_argument(
        "--workers",
        type=worker_count,
        default=1,
        help="web processes sharing the port (1); more need CALLCENTER_BUS_URL (docs/deploy.md)",
    )
    add_database_option(serve)
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    if args.workers > 1:
        return _serve_workers(args)
    import uvicorn

    from callcenter.app import create_app, server_options
    from callcenter.users.cli import check_session_key

    settings = settings_from(args)
    if settings.distributed and settings.ami_url:
        raise UsageError(
            "CALLCENTER_AMI_URL cannot be used with CALLCENTER_BUS_URL: with several processes "
            "the PBX is followed by `callcenter cti run`, not by `serve`"
        )
    # The port first: a taken one must stop `serve` before it migrates the database or
    # logs in to the PBX (uvicorn binds only after the lifespan has started).
    listener = listening_socket(args.host, args.port)
    with listener:
        if settings.agi_listen:  # the routing server's port too (CALLCENTER_AGI_LISTEN)
            listening_socket(*parse_listen(settings.agi_listen)).close()
        check_session_key(settings)
        prepare_database(settings)
        config = uvicorn.Config(
            create_app(settings),
            host=args.host,
            port=args.port,
            log_level="info",
            lifespan="on",
            **server_options(settings),
        )
        server = uvicorn.Server(config)
        # Ctrl-C is how a foreground server is stopped; uvicorn has shut down cleanly by then.
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[listener])
    # uvicorn leaves `started` False when the lifespan failed (a PBX that refused the
    # login); its log says why.
    return 0 if server.started else 1


def _serve_workers(args: argparse.Namespace) -> int:
    from callcenter.users.cli import check_session_key

    settings = settings_from(args)
    check_workers(settings, args.workers)
    with listening_socket(args.host, args.port) as listener:
        check_session_key(settings)  # a kept SQLite key is made here, once, for all
        return run_workers(settings, listener, args.workers)


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host`:`port` as uvicorn would bind it, or a UsageError in one
    sentence."""
    ipv6 = ":" in host
    listener = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_STREAM)
    try:
        # As uvicorn does: a restart may bind while the last run's connections wind down.
        # Linux still refuses a port another socket is listening on.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        where = f"[{host}]:{port}" if ipv6 else f"{host}:{port}"
        why = "the port is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise UsageError(f"cannot listen on {where}: {why}") from None
    return listener
