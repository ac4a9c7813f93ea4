"""`callcenter worker`: the scheduled jobs (the SLA sweep), run by one worker at a time."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus, make_bus
from callcenter.cli import UsageError, add_database_option, settings_from
from callcenter.db import make_sessionmaker, open_database, pool_options
from callcenter.settings import Settings
from callcenter.stop_signals import stop_signals
from crm.sla.tasks import SLA_JOB_ID, start_scheduler

log = logging.getLogger(__name__)

SCHEDULER_LEASE = ("scheduler",)


def register(groups: Any) -> None:
    """Add the `worker` command."""
    worker = groups.add_parser(
        "worker",
        help="run the scheduled jobs (the SLA sweep); a second worker waits as a standby",
        description=(
            "Run the scheduled jobs while holding the scheduler's lease (on Redis with "
            "CALLCENTER_BUS_URL, else a PostgreSQL advisory lock); a worker that does not "
            "hold it waits and takes over when the active one stops or dies."
        ),
    )
    add_database_option(worker)
    worker.set_defaults(func=worker_command)


def worker_command(args: argparse.Namespace) -> int:
    """Wait for the lease, run the jobs while it holds, until SIGINT/SIGTERM."""
    settings = settings_from(args)
    postgres = settings.database_url.startswith("postgresql")
    if not settings.distributed and not postgres:
        raise UsageError(
            "`callcenter worker` needs CALLCENTER_BUS_URL or a PostgreSQL database to run "
            "alone: on SQLite, `callcenter serve` runs the scheduled jobs itself"
        )
    engine = open_database(settings.database_url, need="crm_tickets", **pool_options(settings))
    try:
        return asyncio.run(_work(engine, make_sessionmaker(engine), settings))
    finally:
        engine.dispose()


async def _work(engine: Engine, sessions: sessionmaker[Session], settings: Settings) -> int:
    from callcenter.lease import Lease, Leased, lease_key  # Redis only for this command
    from callcenter.lease_pg import PgLease
    from callcenter.redis_link import async_client

    client = async_client(settings.bus_url) if settings.bus_url else None
    lease: Leased = (
        Lease(client, lease_key(*SCHEDULER_LEASE))
        if client is not None
        else PgLease(engine, lease_key(*SCHEDULER_LEASE))
    )
    bus = make_bus(settings)  # TicketEscalated reaches the web workers
    await bus.start()
    try:
        with stop_signals() as stop:
            while not stop.is_set():
                print("standby: waiting for the scheduler's lease", file=sys.stderr, flush=True)
                if not await lease.acquire(stop):
                    break
                async with lease.held() as lost:
                    await _run_jobs(sessions, bus, settings, stop, lost)
                if not lost.is_set():
                    await lease.release()
    finally:
        if client is not None:
            await client.aclose()
        await bus.stop()
    return 0


async def _run_jobs(
    sessions: sessionmaker[Session],
    bus: Bus,
    settings: Settings,
    stop: asyncio.Event,
    lost: asyncio.Event,
) -> None:
    """The scheduler, until `stop` (a sweep under way finishes) or `lost` (shut down at
    once: a sweep under way in its thread ends its transaction, no new one starts)."""
    scheduler = start_scheduler(sessions, bus, settings.server, settings.sla_check_interval_s)
    scheduler.add_listener(_sweep_done, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    print(
        f"active: running the scheduled jobs (process {os.getpid()})", file=sys.stderr, flush=True
    )
    waits = [asyncio.create_task(stop.wait()), asyncio.create_task(lost.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        if lost.is_set():
            scheduler.shutdown(wait=False)
            print("lost the scheduler's lease: jobs stopped", file=sys.stderr, flush=True)
        else:
            await asyncio.to_thread(scheduler.shutdown, wait=True)


def _sweep_done(event: JobExecutionEvent) -> None:
    if event.job_id == SLA_JOB_ID:
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        log.info("SLA sweep at %s by process %d", at, os.getpid())
