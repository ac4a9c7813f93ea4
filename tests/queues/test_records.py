"""Queue records: created, changed and deleted with their numbers, each bad value refused
naming its field."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.db import transaction
from callcenter.queues.directory import queue_for_number
from callcenter.queues.exceptions import DuplicateQueue, QueueError, QueueNotFound
from callcenter.queues.records import (
    QueueFields,
    create_queue,
    delete_queue,
    get_queue,
    list_queues,
    update_queue,
)
from crm.sla.models import BusinessHours


@pytest.fixture
def hours_id(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        hours = BusinessHours(name="Office", timezone="Europe/Berlin")
        session.add(hours)
        session.flush()
        return hours.id


def test_a_queue_is_created_with_its_numbers_and_thresholds(
    sessions: sessionmaker[Session], hours_id: int
) -> None:
    fields = QueueFields(
        display_name=" Support line ", service_level_s=30, service_level_target=0.9,
        short_abandon_s=0, business_hours_id=hours_id, overflow="billing", open=False,
        numbers=("+49 30 123-45", "8000"),
    )  # fmt: skip
    with transaction(sessions) as session:
        create_queue(session, "support", fields)
    with sessions() as session:
        queue = get_queue(session, "support")
        assert (queue.display_name, queue.service_level_s, queue.service_level_target) == (
            "Support line", 30.0, 0.9,
        )  # fmt: skip
        assert (queue.short_abandon_s, queue.business_hours_id, queue.overflow, queue.open) == (
            0.0, hours_id, "billing", False,
        )  # fmt: skip
        assert [n.number for n in queue.numbers] == ["+493012345", "8000"]
        assert [q.name for q in list_queues(session)] == ["support"]


def test_the_display_name_defaults_to_the_pbx_name(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        queue = create_queue(session, "sales", QueueFields())
        assert (queue.display_name, queue.open, queue.service_level_s) == ("sales", True, None)


def test_numbers_are_replaced_and_a_number_leads_to_one_queue_only(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        create_queue(session, "support", QueueFields(numbers=("+4930123", "8000")))
        create_queue(session, "billing", QueueFields(numbers=("9000",)))
    with transaction(sessions) as session:
        update_queue(session, get_queue(session, "support"), QueueFields(numbers=("8000", "8001")))
    with sessions() as session:
        assert [n.number for n in get_queue(session, "support").numbers] == ["8000", "8001"]
        assert queue_for_number(session, "+4930123") is None
    with (
        sessions() as session,
        pytest.raises(DuplicateQueue, match="9000 already leads to billing"),
    ):
        update_queue(session, get_queue(session, "support"), QueueFields(numbers=("9000",)))
    # One number in another form is the same number.
    with sessions() as session, pytest.raises(DuplicateQueue, match="already leads to support"):
        update_queue(session, get_queue(session, "billing"), QueueFields(numbers=("+8000",)))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (QueueFields(display_name="x" * 129), "display_name", "at most 128"),
        (QueueFields(service_level_s=0), "service_level_s", "more than 0"),
        (QueueFields(service_level_s=float("nan")), "service_level_s", "seconds"),
        (QueueFields(service_level_s=3601), "service_level_s", "3600"),
        (QueueFields(short_abandon_s=-1), "short_abandon_s", "0 to 600"),
        (QueueFields(service_level_target=0), "service_level_target", "share of calls"),
        (QueueFields(service_level_target=1.5), "service_level_target", "share of calls"),
        (QueueFields(business_hours_id=999), "business_hours_id", "no business-hours"),
        (QueueFields(overflow="support"), "overflow", "itself"),
        (QueueFields(overflow="no spaces"), "overflow", "not a queue name"),
        (QueueFields(numbers=("0800-CALL-US",)), "numbers", "digits, maybe a leading +"),
        (QueueFields(numbers=("+4930", "004930")), "numbers", "listed twice"),
        (QueueFields(numbers=("1+2",)), "numbers", "not a dialled number"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(
    sessions: sessionmaker[Session], fields: QueueFields, field: str, message: str
) -> None:
    with sessions() as session, pytest.raises(QueueError, match=message) as refused:
        create_queue(session, "support", fields)
    assert refused.value.field == field


def test_a_name_is_the_pbxs_and_unique(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        create_queue(session, "support", QueueFields())
    with sessions() as session, pytest.raises(DuplicateQueue) as taken:
        create_queue(session, "support", QueueFields())
    assert taken.value.field == "name"
    with sessions() as session, pytest.raises(QueueError, match="not a queue name"):
        create_queue(session, "Support line", QueueFields())


def test_delete_takes_the_numbers_and_waits_for_what_overflows_into_it(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        create_queue(session, "support", QueueFields(numbers=("8000",)))
        create_queue(session, "billing", QueueFields(overflow="support"))
    with sessions() as session, pytest.raises(QueueError, match="billing overflows into support"):
        delete_queue(session, get_queue(session, "support"))
    with transaction(sessions) as session:
        delete_queue(session, get_queue(session, "billing"))
        delete_queue(session, get_queue(session, "support"))
    with sessions() as session:
        assert queue_for_number(session, "8000") is None
        with pytest.raises(QueueNotFound):
            get_queue(session, "support")
