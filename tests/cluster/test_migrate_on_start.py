"""CALLCENTER_MIGRATE_ON_START=false: `serve` and `agi serve` leave the schema to `callcenter
db upgrade` and refuse, in one sentence, a database it has not brought up to date."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from callcenter.cli import main
from callcenter.db import DatabaseUnavailable
from callcenter.settings import Settings
from callcenter.web_workers import prepare_database
from tests.redis_server import free_port


@pytest.fixture
def no_migration(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in [v for v in os.environ if v.startswith("CALLCENTER_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("CALLCENTER_MIGRATE_ON_START", "false")


@pytest.mark.parametrize("command", [["serve"], ["agi", "serve"]], ids=" ".join)
def test_a_missing_database_is_refused_not_created(
    command: list[str], tmp_path: Path, no_migration: None, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cc.db"
    port = str(free_port())
    code = main([*command, "--port", port, "--database", f"sqlite:///{database}"])
    error = capsys.readouterr().err
    assert code == 2
    assert error == (
        f"callcenter: there is no database at {database} (run `callcenter db upgrade` to "
        "create it, or start `callcenter demo`, or name another with --database)\n"
    )
    assert not database.exists()


def test_an_empty_database_is_refused_and_an_upgraded_one_taken(
    tmp_path: Path, no_migration: None
) -> None:
    database = tmp_path / "cc.db"
    sqlite3.connect(database).close()
    settings = Settings(database_url=f"sqlite:///{database}")
    with pytest.raises(DatabaseUnavailable, match=r"has no users table \(run `callcenter db"):
        prepare_database(settings)
    assert main(["db", "upgrade", "--database", settings.database_url]) == 0
    assert prepare_database(settings).endswith("is current (CALLCENTER_MIGRATE_ON_START=false)")


def test_by_default_the_start_migrates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLCENTER_MIGRATE_ON_START", raising=False)
    database = tmp_path / "cc.db"
    settings = Settings(database_url=f"sqlite:///{database}")
    assert settings.migrate_on_start
    assert prepare_database(settings).endswith("brought up to date")
    assert database.is_file()
