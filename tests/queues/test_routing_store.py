"""Routing rules and decisions in the database, the TOML file and the `routing` commands."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session, sessionmaker

from callcenter.cli import main
from callcenter.db import alembic_config, make_engine, upgrade
from callcenter.queues.routing.decision import Reason, RouteDecision
from callcenter.queues.routing.facts import RouteRequest
from callcenter.queues.routing.schemas import RuleIn
from callcenter.queues.routing.store import (
    RuleNameTaken,
    decision_for_call,
    engine_rules,
    list_rules,
    replace_rules,
    save_rule,
    store_decisions,
)
from callcenter.queues.routing.toml_io import BadRules, read_rules, write_rules
from tests.crm.conftest import add_customer

RULES = """\
[[rule]]
name = "busy support overflows"
position = 10
when = { did = ["+4930100"], longest_wait_over_s = 120 }
then = { overflow = true }

[[rule]]
name = "German after hours"
position = 20
enabled = false
[rule.when]
days = ["mon", "fri"]
time_from = 18:00:00
time_to = "08:00"
field = "country"
field_value = "DE"
[rule.then]
queue = "night"
priority = 5
skills = ["lang:de=2"]
max_penalty = 3
"""


def test_the_toml_file_round_trips() -> None:
    rules = read_rules(RULES)
    assert [r.name for r in rules] == ["busy support overflows", "German after hours"]
    assert read_rules(write_rules(rules)) == rules
    assert rules[1].when.days == ["mon", "fri"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[[rule]\n", "not TOML"),
        ("[other]\n", "unknown top-level key 'other'"),
        ('[[rule]]\nname = "x"\nthen = { queue = "a b" }\n', "rule 1 ('x'): then.queue"),
        ('[[rule]]\nname = "x"\nthen = {}\n', "must set something"),
        ('[[rule]]\nname = "x"\nwhen = { days = ["someday"] }\nthen = { priority = 1 }\n', "days"),
        ('[[rule]]\nname = "x"\nwhen = { colour = "red" }\nthen = { priority = 1 }\n', "colour"),
        ('[[rule]]\nname="x"\nthen={priority=1}\n[[rule]]\nname="x"\nthen={priority=2}\n', "two"),
    ],
)
def test_a_bad_file_says_where_in_one_sentence(text: str, said: str) -> None:
    with pytest.raises(BadRules) as caught:
        read_rules(text)
    assert said in str(caught.value) and "\n" not in str(caught.value)


def test_rules_are_stored_in_order_and_names_are_unique(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        replace_rules(session, read_rules(RULES))
        first = save_rule(session, RuleIn(name="first", position=1, then={"priority": 3}))  # type: ignore[arg-type]
        with pytest.raises(RuleNameTaken):
            save_rule(session, RuleIn(name="first", then={"priority": 4}))  # type: ignore[arg-type]
    with sessions() as session:
        assert list_rules(session)[0].name == "first"
        assert engine_rules(session)[2].enabled is False
        assert list_rules(session)[0].id == first.id


def test_the_decision_is_found_by_the_calls_linkedid(sessions: sessionmaker[Session]) -> None:
    at = datetime(2026, 12, 2, 10, tzinfo=UTC)
    request = RouteRequest("+4917012345", "+4930100", at, uniqueid="1764669600.42")
    decision = RouteDecision(
        "support", Reason.OPEN_TICKET, 10, 7, "PJSIP/1001", "ann", ticket_id=123
    )
    with sessions.begin() as session:
        store_decisions(session, [(request, decision, 1.25)])
    with sessions() as session:
        stored = decision_for_call(session, "1764669600.42")
        assert decision_for_call(session, "nope") is None
    assert stored is not None
    assert (stored.queue, stored.reason, stored.rule, stored.ticket_id, stored.elapsed_ms) == (
        "support", "open_ticket", "open_ticket", 123, 1.25,
    )  # fmt: skip


def test_routing_import_export_and_try(
    database_url: str,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with sessions.begin() as session:
        add_customer(session, "Ann", "+1 555 123 0001", category="vip")
    path = tmp_path / "rules.toml"
    path.write_text(RULES.replace("enabled = false\n", ""))
    assert main(["routing", "import", str(path), "--database", database_url]) == 0
    assert main(["routing", "export", "--database", database_url]) == 0
    assert read_rules(capsys.readouterr().out.partition("\n")[2]) == read_rules(path.read_text())
    argv = ["routing", "try", "--caller", "+15551230001", "--did", "+4930100"]
    assert main([*argv, "--at", "2026-12-04T19:00", "--database", database_url]) == 0
    shown = capsys.readouterr().out
    assert "QUEUE=support" in shown and "PRIORITY=10" in shown and "reason: vip" in shown


def test_a_bad_import_changes_nothing_and_exits_2(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(RULES)
    bad.write_text(RULES + '[[rule]]\nname = "x"\nthen = { priority = "high" }\n')
    assert main(["routing", "import", str(good), "--database", database_url]) == 0
    assert main(["routing", "import", str(bad), "--database", database_url]) == 2
    error = capsys.readouterr().err
    assert "rule 3 ('x'): then.priority" in error and error.count("\n") == 1
    assert main(["routing", "import", str(tmp_path / "none.toml"), "--database", database_url]) == 2
    assert main(["routing", "export", "--database", database_url]) == 0
    assert "German after hours" in capsys.readouterr().out


def test_migration_0014_upgrades_a_database_with_queues_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cc.db'}"
    upgrade(url, "0013")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO queues (name, display_name, open, created_at, updated_at)"
                " VALUES ('support', 'Support', 1, '2026-12-01', '2026-12-01')"
            )
        )
    upgrade(url)
    assert {"routing_rules", "route_decisions"} <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM queues")).scalar() == "support"
    command.downgrade(alembic_config(url), "0013")
    assert "routing_rules" not in inspect(engine).get_table_names()
    engine.dispose()
