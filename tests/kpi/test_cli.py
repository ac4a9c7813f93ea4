"""`callcenter kpi report` and `callcenter kpi staff` on a real migrated database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_calls
from callcenter.cli import main
from callcenter.queues.service import PbxServiceLevel, note_pbx_queues
from tests.kpi.calls import ROLLUPS, at, call, visit
from tests.kpi.test_reports import CALLS

QUEUE_KEYS = {
    "service_level_s", "offered", "answered", "abandoned", "short_abandoned", "timeouts",
    "service_level", "service_level_asterisk", "service_level_asterisk2", "abandon_rate",
    "asa_s", "aht_s", "talk_hold_s", "avg_talk_s", "longest_wait_s", "service_level_source",
}  # fmt: skip


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_calls(session, CALLS, after_store=ROLLUPS)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_json_shape(
    stored: None, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "kpi", "report", "--from", "2026-03-02", "--to", "2026-03-03",
        "--queue", "support", "--interval", "15m", "--json", "--database", database_url,
    )  # fmt: skip
    assert code == 0
    document = json.loads(out)
    assert set(document) == {"queues", "intervals"}
    assert set(document["queues"]) == {"support"}
    support = document["queues"]["support"]
    assert set(support) == QUEUE_KEYS
    assert (support["offered"], support["service_level"]) == (8, pytest.approx(3 / 7))
    assert [(row["start"], row["offered"]) for row in document["intervals"]] == [
        ("2026-03-02T09:00:00+00:00", 7),
        ("2026-03-02T09:15:00+00:00", 1),
    ]
    assert set(document["intervals"][0]) == QUEUE_KEYS | {"start", "end", "queue"}


def test_report_json_aht_includes_wrap_up_and_talk_hold_does_not(
    stored: None, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "kpi", "report", "--from", "2026-03-02", "--to", "2026-03-03",
        "--queue", "support", "--json", "--database", database_url,
    )  # fmt: skip
    assert code == 0
    support = json.loads(out)["queues"]["support"]
    assert support["talk_hold_s"] == pytest.approx((640 + 10) / 4)
    assert support["aht_s"] == pytest.approx((640 + 10 + 30 + 15) / 4)  # wrap-ups of c1, c8


@pytest.fixture
def billing_t30(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Billing's service-level threshold set to 30 s through the environment."""
    monkeypatch.setenv("CALLCENTER_QUEUE_THRESHOLDS", '{"billing": {"service_level_s": 30}}')
    yield


def test_report_csv_with_a_queue_threshold_override(
    stored: None, billing_t30: None, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "kpi", "report", "--from", "2026-03-02", "--to", "2026-03-03", "--interval",
        "60m", "--csv", "--database", database_url,
    )  # fmt: skip
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("start,end,queue,service_level_s,offered")
    # ... asa 25, aht 60 (no wrap-up in these calls), talk+hold 60, avg talk 60, longest 25
    assert lines[1].startswith(
        "2026-03-02T09:00:00+00:00,2026-03-02T10:00:00+00:00,billing,30,1,1,0,0,0,1,1,1,0,25,60,60,60,25"
    )


def test_empty_report_prints_nulls(
    database_url: str, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    # The PBX lists support (so it is a queue, not a typo); nobody has called it yet.
    with sessions() as session, session.begin():
        note_pbx_queues(session, [PbxServiceLevel("support", "pbx", 20.0, at("08:00:00"))])
    code, out, _ = run(
        capsys, "kpi", "report", "--from", "2026-03-02", "--to", "2026-03-03", "--queue",
        "support", "--json", "--database", database_url,
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["queues"]["support"]["service_level"] is None


@pytest.mark.parametrize(
    "argv",
    [
        ["kpi", "report", "--from", "yesterday"],
        ["kpi", "report", "--from", "2026-03-03", "--to", "2026-03-02"],
        ["kpi", "report", "--interval", "7m"],
        ["kpi", "staff", "--calls-per-hour", "100", "--aht", "180", "--target", "80%"],
        ["kpi", "staff", "--calls-per-hour", "0", "--aht", "180"],
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(
    argv: list[str], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["--database", database_url] if argv[1] == "report" else []
    code, out, err = run(capsys, *argv, *extra)
    assert (code, out) == (2, "")
    assert err.startswith("callcenter: ") and err.count("\n") == 1


def test_a_reversed_period_names_the_flags(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["kpi", "report", "--from", "2026-03-03", "--to", "2026-03-02"]
    _, _, err = run(capsys, *argv, "--database", database_url)
    assert err == "callcenter: --to must be after --from\n"


def test_staff_matches_erlang(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "kpi", "staff", "--calls-per-hour", "1000", "--aht", "180",
        "--target", "0.8/20", "--patience", "120", "--json",
    )  # fmt: skip
    table = json.loads(out)
    assert code == 0
    assert (table["agents_erlang_c"], table["agents_erlang_a"]) == (56, 50)
    row = next(r for r in table["rows"] if r["agents"] == 50)
    assert row["erlang_a"]["service_level"] >= 0.8 > row["erlang_c"]["service_level"]


def test_a_queue_named_like_a_formula_is_exported_as_text(
    sessions: sessionmaker[Session], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = '=HYPERLINK("http://evil.example","x")'
    with sessions() as session, session.begin():
        store_calls(
            session,
            [call("f1", visit(hostile, "09:00:00", V.ANSWERED, 5, 60))],
            after_store=ROLLUPS,
        )
    code, out, _ = run(
        capsys, "kpi", "report", "--from", "2026-03-02", "--to", "2026-03-03",
        "--interval", "day", "--csv", "--database", database_url,
    )  # fmt: skip
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    queues = {row[2] for row in rows[1:]}
    assert queues == {"'" + hostile}
