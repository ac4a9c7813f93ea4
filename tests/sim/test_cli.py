"""`callcenter sim run`: JSON and table output, storing records, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import AgentState
from callcenter.calls.service import list_agent_states, list_calls
from callcenter.cli import main
from callcenter.db import make_engine, make_sessionmaker

KEYS = {
    "offered", "answered", "abandoned", "short_abandoned", "service_level", "abandon_rate",
    "asa_s", "aht_s", "occupancy",
}  # fmt: skip

EMPTY_QUEUE = """\
[[queue]]
name = "support"
arrival_rate_per_hour = 60
short_abandon_s = 0
talk = { distribution = "exponential", mean_s = 60 }
[[queue]]
name = "spare"
talk = { distribution = "exponential", mean_s = 60 }
[[agent]]
name = "Alice"
queues = ["support", "spare"]
"""


def test_json_has_one_entry_per_queue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "run", "demo", "--calls", "300", "--seed", "3", "--json"]) == 0
    queues = json.loads(capsys.readouterr().out)["queues"]
    assert set(queues) == {"support", "billing", "renewals"}
    assert all(set(q) == KEYS for q in queues.values())
    support = queues["support"]
    assert support["answered"] + support["abandoned"] <= support["offered"]
    assert 0 <= support["service_level"] <= 1


def test_a_kpi_with_nothing_to_divide_is_null(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "spare.toml"
    scenario.write_text(EMPTY_QUEUE)
    assert main(["sim", "run", str(scenario), "--calls", "50", "--json"]) == 0
    spare = json.loads(capsys.readouterr().out)["queues"]["spare"]
    assert spare["offered"] == 0
    assert spare["service_level"] is None and spare["abandon_rate"] is None
    assert spare["asa_s"] is None and spare["aht_s"] is None


def test_the_same_seed_prints_the_same_figures(capsys: pytest.CaptureFixture[str]) -> None:
    main(["sim", "run", "intraday_peak", "--hours", "2", "--seed", "5", "--json"])
    first = capsys.readouterr().out
    main(["sim", "run", "intraday_peak", "--hours", "2", "--seed", "5", "--json"])
    assert capsys.readouterr().out == first


def test_without_json_a_table_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "run", "mmn_validation", "--calls", "2000"]) == 0
    out = capsys.readouterr().out
    assert "support" in out and "2,000 calls" in out and "fast path" in out


def test_records_are_stored_in_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    assert main(["sim", "run", "demo", "--calls", "200", "--database", url, "--json"]) == 0
    engine = make_engine(url)
    sessions: sessionmaker[Session] = make_sessionmaker(engine)
    with sessions() as session:
        calls = list_calls(session)
        states = list_agent_states(session)
    engine.dispose()
    assert len(calls) == 200
    offered = json.loads(capsys.readouterr().out)["queues"]["support"]["offered"]
    assert sum(v.queue == "support" for c in calls for v in c.queue_visits) == offered
    assert all(c.server == "sim" and c.started_at.tzinfo is not None for c in calls)
    # Agent-state intervals too: every agent who answered a call was on a call for a while.
    on_call = {s.agent for s in states if s.state is AgentState.ON_CALL}
    assert on_call == {c.agent for c in calls if c.agent is not None}
    assert all(s.started_at < s.ended_at for s in states)
    # The bots' 10:00 break (the run covers 08:00 to about 11:30).
    assert any(s.state is AgentState.PAUSED and s.reason == "Break" for s in states)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[queue]]\nname = "a"\nagents = -1\n'
         'talk = { distribution = "exponential", mean_s = 9 }\n',
         "bad.toml line 3: queue[0].agents: must be at least 0 (got -1)"),
        ('[[queue]]\nname = "a"\nagents = 1\narrival_rate_per_hour = 10\ntalk = 5\n',
         "bad.toml line 5: queue[0].talk: must be a table"),
        ('[[queue]]\nname = "a"\narrival_rate_per_hour = 10\n'
         'talk = { distribution = "exponential", mean_s = 9 }\n',
         "queue 'a' has no agents and its callers never give up"),
    ],
)  # fmt: skip
def test_a_bad_scenario_exits_2_with_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text(text)
    assert main(["sim", "run", str(scenario)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_calls_and_hours_cannot_both_be_given(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sim", "run", "demo", "--calls", "5", "--hours", "1"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
