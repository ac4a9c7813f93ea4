"""Every command on a missing, empty, old or unreachable database: one line, exit 2, no file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.cli import main
from callcenter.db import upgrade

# Commands that only read (or write into tables that must already be there): none of them
# may create a database, a folder or a file.
NEEDS_TABLES = [
    ["kpi", "report"],
    ["kpi", "report", "--by", "agent", "--interval", "none"],
    ["kpi", "report", "--by", "team", "--interval", "none"],
    ["kpi", "rollup", "rebuild"],
    ["calls", "list"],
    ["crm", "export"],
    ["crm", "export", "--json"],
    ["users", "list"],
    ["users", "token", "agent1"],
    ["users", "revoke", "agent1"],
]
# They refuse a missing database too, but do not need its tables.
NEEDS_A_DATABASE = [*NEEDS_TABLES, ["session-key", "rotate"]]


def _ids(argv: list[str]) -> str:
    return " ".join(argv)


def clean_env() -> dict[str, str]:
    """The environment without any CALLCENTER_ setting of the machine running the tests."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}


def run_cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`callcenter ARGV` as a person types it, in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=clean_env() | {"PYTHONPATH": str(Path(__file__).parents[2])},
        check=False,
    )


@pytest.fixture
def customers_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("input") / "customers.csv"
    path.write_text("name,phone\nAnn,+15551230001\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("argv", NEEDS_A_DATABASE, ids=_ids)
def test_the_default_database_missing_is_one_line_and_nothing_is_created(
    argv: list[str], tmp_path: Path
) -> None:
    result = run_cli(*argv, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "there is no database at var/callcenter.db" in result.stderr
    assert "callcenter db upgrade" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_import_into_a_missing_database_creates_nothing(
    tmp_path: Path, customers_csv: Path
) -> None:
    result = run_cli("crm", "import", str(customers_csv), cwd=tmp_path)
    assert (result.returncode, result.stderr.count("\n")) == (2, 1), result.stderr
    assert "there is no database" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", NEEDS_A_DATABASE, ids=_ids)
def test_a_named_missing_database_in_an_empty_folder_leaves_it_empty(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'callcenter.db'}"
    assert main([*argv, "--database", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "there is no database at" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", NEEDS_TABLES, ids=_ids)
def test_an_empty_database_file_is_not_migrated(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    assert main([*argv, "--database", f"sqlite:///{path}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "(run `callcenter db upgrade` first)" in err


@pytest.fixture(scope="module")
def old_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated to the revision before the current one."""
    path = tmp_path_factory.mktemp("old") / "old.db"
    upgrade(f"sqlite:///{path}", "head-1")
    return path


@pytest.mark.parametrize("argv", NEEDS_TABLES, ids=_ids)
def test_a_database_at_an_older_schema_asks_for_an_upgrade(
    argv: list[str], old_schema: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "old.db"
    copy.write_bytes(old_schema.read_bytes())
    assert main([*argv, "--database", f"sqlite:///{copy}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "has an older schema (run `callcenter db upgrade` first)" in err


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("argv", [*NEEDS_TABLES, ["crm", "import", "CSV"]], ids=_ids)
def test_an_unreachable_postgresql_is_one_line(
    argv: list[str], customers_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(customers_csv) if arg == "CSV" else arg for arg in argv]
    url = f"postgresql+psycopg://crm:S3cr3t-pw@127.0.0.1:{_closed_port()}/callcenter"
    assert main([*argv, "--database", url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err
    assert "cannot open the database 'postgresql+psycopg://crm:***@127.0.0.1:" in captured.err
    assert "S3cr3t" not in captured.err


@pytest.mark.parametrize("argv", NEEDS_TABLES, ids=_ids)
def test_a_migrated_database_answers(
    argv: list[str],
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    fast_password_hashing: None,
) -> None:
    assert main(["users", "create", "agent1", "--role", "agent", "--database", database_url]) == 0
    assert main([*argv, "--database", database_url]) == 0, capsys.readouterr().err


def test_the_first_user_creates_and_migrates_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fast_password_hashing: None
) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'new.db'}"
    assert main(["users", "create", "admin", "--role", "admin", "--database", url]) == 0
    assert main(["users", "list", "--json", "--database", url]) == 0
    assert "admin" in capsys.readouterr().out
