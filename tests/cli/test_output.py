"""What the commands print: a reader that goes away, pipes, narrow terminals and --json."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.cli import main
from callcenter.cli_tables import Column, TextTable, print_tables
from callcenter.users import service
from callcenter.users.service import Role
from tests.cli.test_databases import clean_env

LONG_NAME = "Supervisor Maximiliana Oyelaran-Featherstonehaugh"

PRINTING = [
    ["crm", "export"],
    ["crm", "export", "--json"],
    ["calls", "list"],
    ["calls", "list", "--json"],
    ["users", "list"],
    ["users", "list", "--json"],
    ["kpi", "report"],
    ["kpi", "report", "--json"],
    ["kpi", "report", "--by", "agent", "--interval", "none"],
    ["kpi", "staff", "--calls-per-hour", "100", "--aht", "180"],
    ["sim", "run", "demo", "--calls", "50"],
    ["sim", "run", "demo", "--calls", "50", "--json"],
]


def _ids(argv: list[str]) -> str:
    return " ".join(argv)


def _command(argv: list[str], database_url: str) -> list[str]:
    takes_database = argv[0] in ("crm", "calls", "users") or argv[:2] == ["kpi", "report"]
    return [
        sys.executable, "-m", "callcenter", *argv,
        *(["--database", database_url] if takes_database else []),
    ]  # fmt: skip


def _env() -> dict[str, str]:
    return clean_env() | {"PYTHONPATH": str(Path(__file__).parents[2])}


@pytest.fixture
def filled(sessions: sessionmaker[Session], database_url: str, fast_password_hashing: None) -> str:
    """A migrated database with a user whose name is longer than any column rich allows."""
    with sessions() as session, session.begin():
        service.create_user(
            session,
            "supervisor1",
            role=Role.SUPERVISOR,
            password="a-Long-enough-passw0rd",
            display_name=LONG_NAME,
            team="front office with a long team name",
        )
    return database_url


@pytest.mark.parametrize("argv", PRINTING, ids=_ids)
def test_a_reader_that_has_gone_ends_the_command_quietly(argv: list[str], filled: str) -> None:
    """`callcenter ... | head`: head exits before the command writes; no traceback."""
    with subprocess.Popen(
        _command(argv, filled),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        text=True,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # the reader is gone before the first line is written
        err = process.stderr.read()
        code = process.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert code in (0, 1)


def test_crm_export_into_head_stops_quietly(database_url: str, tmp_path: Path) -> None:
    rows = "".join(f"Customer {n},+1555{n:07d}\n" for n in range(3000))
    (tmp_path / "many.csv").write_text("name,phone\n" + rows, encoding="utf-8")
    assert main(["crm", "import", str(tmp_path / "many.csv"), "--database", database_url]) == 0
    command = " ".join(_command(["crm", "export"], database_url))
    result = subprocess.run(
        f"{command} | head -n 3",
        shell=True,
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert result.stdout.splitlines()[0].startswith("code,")
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr == ""


def test_piped_tables_are_plain_columns_nothing_cut(filled: str) -> None:
    result = subprocess.run(
        _command(["users", "list"], filled), capture_output=True, text=True, env=_env()
    )
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split() == [
        "user",
        "name",
        "role",
        "team",
        "interface",
        "member",
        "skills",
        "queues",
    ]
    assert LONG_NAME in row and "front office with a long team name" in row
    assert "…" not in result.stdout and "┃" not in result.stdout
    assert row.index(LONG_NAME) == header.index("name")  # aligned under its title


def test_piped_simulation_keeps_every_figure() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "callcenter", "sim", "run", "demo", "--hours", "40"],
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[1].split() == [
        "queue", "offered", "answered", "abandoned", "short", "ab.", "SL", "T", "abandon",
        "ASA", "AHT", "occupancy",
    ]  # fmt: skip
    assert lines[0].startswith("demo.toml: ") and " calls over 40.0 h " in lines[0]
    support = lines[2].split()
    assert support[0] == "support" and "," in support[1]  # 1,234 whole, not "1,2…"


class Terminal(io.StringIO):
    """An 80-column terminal, as far as the command can tell."""

    def isatty(self) -> bool:
        return True

    def shown(self) -> str:
        """What the screen shows: the text without its colour codes."""
        return re.sub(r"\x1b\[[0-9;]*m", "", self.getvalue())


def test_a_narrow_terminal_wraps_and_folds_but_drops_nothing() -> None:
    cells = [LONG_NAME, "front office", *(f"{1_000_000 + n:,}" for n in range(12))]
    table = TextTable(
        [Column("agent"), Column("team"), *(Column(f"f{n}", number=True) for n in range(12))],
        [cells],
    )
    screen = Terminal()
    print_tables(table, out=screen)
    shown = screen.shown()
    assert "…" not in shown
    assert all(len(line) <= 80 for line in shown.splitlines())
    # Every character of every cell is on the screen somewhere: nothing was cut off.
    assert Counter(shown) >= Counter("".join(cells).replace(" ", ""))


def test_a_terminal_wide_enough_shows_numbers_on_one_line() -> None:
    cells = [LONG_NAME, *(f"{1_000_000 + n:,}" for n in range(3))]
    table = TextTable([Column("agent"), *(Column(f"f{n}", number=True) for n in range(3))], [cells])
    screen = Terminal()
    print_tables(table, out=screen)
    shown = screen.shown()
    assert all(number in shown for number in cells[1:])
    assert "…" not in shown


@pytest.mark.parametrize(
    "argv",
    [["users", "list"], ["crm", "export"], ["calls", "list"], ["kpi", "report"]],
    ids=_ids,
)
def test_every_command_that_prints_data_takes_json(
    argv: list[str], filled: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--json", "--database", filled]) == 0
    json.loads(capsys.readouterr().out)


def test_users_list_json_names_each_user(filled: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["users", "list", "--json", "--database", filled]) == 0
    [user] = json.loads(capsys.readouterr().out)
    assert user == {
        "user": "supervisor1",
        "name": LONG_NAME,
        "role": "supervisor",
        "team": "front office with a long team name",
        "interface": None,
        "member": None,
        "queues": [],
        "skills": {},
    }


def test_crm_export_json_has_the_csv_columns(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "one.csv").write_text("name,phone\nAnn,+15551230001\n", encoding="utf-8")
    assert main(["crm", "import", str(tmp_path / "one.csv"), "--database", database_url]) == 0
    capsys.readouterr()
    assert main(["crm", "export", "--json", "--database", database_url]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["name"], row["phone"]) == ("Ann", "+15551230001")
