"""The live adapter's record writer process writes the customers' history too, after the calls."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.campaigns.models import Lead
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.writer_process import EndedCallsAfter, ProcessRecordWriter
from callcenter.events import CallEnded
from callcenter.settings import Settings
from callcenter.wiring import wire_consumers
from crm.interactions.models import Interaction
from crm.interactions.tasks import HistoryOfEndedCalls, history_policy
from tests.conftest import FIXTURES
from tests.crm.conftest import add_customer

SETTINGS = Settings(default_region="US")


def _seed(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """Ann calls in the capture "answered", Dan in "abandon"."""
    with sessions() as session, session.begin():
        ann = add_customer(session, "Ann Customer", "(555) 123-0001").id
        return ann, add_customer(session, "Dan Customer", "555-123-0004").id


def _ended(scenario: str) -> list[CallEnded]:
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pipeline = Pipeline(server="pbx", bus=bus, region="US")
    pipeline.feed_bytes((FIXTURES / "ami" / scenario / "ami.raw").read_bytes())
    pipeline.close(end_open_calls=True)
    return ended


async def test_a_live_adapter_s_history_is_written_by_its_writer_process(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """An answered call and an abandoned one, live: the interactions and the callback are in
    the database once the consumers stop, and this process ran no CRM write of its own."""
    ann, dan = _seed(sessions)
    written_here: list[str] = []

    def crm_write(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith(("INSERT INTO crm_interactions", "INSERT INTO leads")):
            written_here.append(statement)

    bus = Bus()
    consumers = wire_consumers(bus, sessions, SETTINGS, live=True)
    assert isinstance(consumers.records, ProcessRecordWriter)
    assert consumers.records.writes_history
    event.listen(engine, "before_cursor_execute", crm_write)
    try:
        await consumers.start()
        assert not [task for task in consumers._tasks if task.get_name() == "crm-history"]
        for scenario in ("answered", "abandon"):
            pipeline = Pipeline(server="pbx", bus=bus, region="US")
            pipeline.feed_bytes((FIXTURES / "ami" / scenario / "ami.raw").read_bytes())
            pipeline.close(end_open_calls=True)
        await consumers.stop()
    finally:
        event.remove(engine, "before_cursor_execute", crm_write)
    assert written_here == []
    with sessions() as session:
        entries = list(session.scalars(select(Interaction).order_by(Interaction.id)))
        callbacks = list(session.scalars(select(Lead)))
    # One per inbound call of the two captures (the "abandon" one holds an unknown caller's
    # answered call too); Ann's and Dan's on their customers.
    assert [(e.customer_id, e.kind, e.answered) for e in entries] == [
        (ann, "call_in", True),
        (None, "call_in", True),
        (dan, "call_in", False),
    ]
    assert [(c.customer_id, c.origin) for c in callbacks] == [(dan, "abandoned")]
    assert not consumers.records.process.is_alive()


def test_without_a_database_another_process_opens_the_history_stays_in_the_process() -> None:
    from callcenter.db import make_engine, make_sessionmaker

    memory = make_engine("sqlite://")
    try:
        consumers = wire_consumers(Bus(), make_sessionmaker(memory), SETTINGS, live=True)
        assert consumers.records is not None and not consumers.records.writes_history
        consumers.records.close()
    finally:
        memory.dispose()


def test_history_waits_for_its_calls_batch_and_a_failed_write_is_kept_for_the_next(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """The child's step, run here so that the test can make the database refuse once."""
    ann, dan = _seed(sessions)
    answered, abandoned = _ended("answered"), _ended("abandon")
    history = EndedCallsAfter(sessions, HistoryOfEndedCalls(history_policy(SETTINGS)))
    # The calls' own batch failed: their history waits (never about a call not stored).
    assert history.follow([e.record for e in answered], stored=False) is None
    assert len(history.kept) == len(answered) == 1
    refusals = {"left": 1}

    def refuse_once(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("INSERT INTO crm_interactions") and refusals["left"]:
            refusals["left"] -= 1
            raise RuntimeError("disk full")

    event.listen(engine, "before_cursor_execute", refuse_once)
    try:
        error = history.follow([], stored=True)
        assert error is not None and "disk full" in error
        assert len(history.kept) == 1
        with sessions() as session:
            assert session.scalars(select(Interaction)).all() == []
        assert history.follow([e.record for e in abandoned], stored=True) is None
    finally:
        event.remove(engine, "before_cursor_execute", refuse_once)
    assert history.kept == []
    with sessions() as session:
        entries = list(session.scalars(select(Interaction).order_by(Interaction.id)))
    assert [(e.customer_id, e.answered) for e in entries] == [
        (ann, True),
        (None, True),
        (dan, False),
    ]
