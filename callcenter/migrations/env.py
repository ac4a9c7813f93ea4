"""Alembic environment: runs migrations against the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from callcenter.db import make_engine
from callcenter.models_registry import UNMANAGED_TABLE_PREFIXES, target_metadata

config = context.config


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave hand-made tables (full-text indexes and their shadow tables) out of comparisons."""
    return not (type_ == "table" and name is not None and name.startswith(UNMANAGED_TABLE_PREFIXES))


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata(),
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: Connection) -> None:
    # A SQLite table changed in batch mode is copied, dropped and renamed: with foreign keys
    # enforced, the drop would cascade into every row that points at it (users: tokens,
    # memberships, skills). Off while migrating, checked before they are turned back on.
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        _migrate(connection)
        if sqlite:
            _check_foreign_keys(connection)
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise RuntimeError(f"rows pointing at missing rows after migrating: {', '.join(tables)}")


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
