"""CALLCENTER_DB_POOL_SIZE / CALLCENTER_DB_MAX_OVERFLOW size a PostgreSQL pool per process;
SQLite engines are built as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.pool import NullPool, QueuePool

from callcenter.db import make_engine, pool_options
from callcenter.settings import Settings

POSTGRES = "postgresql+psycopg://cc:secret@127.0.0.1:1/cc"


def test_the_settings_size_a_postgresql_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCENTER_DB_POOL_SIZE", "3")
    monkeypatch.setenv("CALLCENTER_DB_MAX_OVERFLOW", "7")
    engine = make_engine(POSTGRES, **pool_options(Settings()))  # no connection is made
    assert isinstance(engine.pool, QueuePool)
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 7)
    engine.dispose()


def test_the_defaults_are_five_and_ten(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CALLCENTER_DB_POOL_SIZE", "CALLCENTER_DB_MAX_OVERFLOW"):
        monkeypatch.delenv(name, raising=False)
    assert pool_options(Settings()) == {"pool_size": 5, "max_overflow": 10}


def test_sqlite_and_an_explicit_pool_class_ignore_the_sizes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cc.db'}"
    plain, sized = make_engine(url), make_engine(url, pool_size=40, max_overflow=40)
    assert type(sized.pool) is type(plain.pool)
    assert sized.pool.size() == plain.pool.size()  # type: ignore[attr-defined]
    unpooled = make_engine(POSTGRES, poolclass=NullPool, pool_size=40, max_overflow=40)
    assert isinstance(unpooled.pool, NullPool)
    for engine in (plain, sized, unpooled):
        engine.dispose()


def test_a_pool_of_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCENTER_DB_POOL_SIZE", "0")
    with pytest.raises(ValidationError):
        Settings()
