"""Database engine, sessions, the declarative base and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict, Unpack

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from callcenter.settings import Settings, masked_url

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """The current time, timezone-aware UTC: the one clock the code reads."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base for every table of the project."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_savepoint_writes(connection: Connection, _name: str) -> None:
    """A SAVEPOINT that would open the transaction opens it as BEGIN IMMEDIATE instead.

    pysqlite begins a transaction only before a write, so a SAVEPOINT can be the outermost
    statement: it then opens a deferred transaction, the reads under it take a snapshot, and
    the first write must turn that read into a write. SQLite refuses that at once with
    "database is locked" when another connection writes meanwhile, never waiting out the
    busy timeout; and the outermost SAVEPOINT's RELEASE would commit. Taking the write lock
    first waits for its turn like any other write, and the session's commit ends it."""
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite files get WAL mode and their folder is created.

    `pool_size` and `max_overflow` (pool_options) size a server database's pool; SQLite,
    and an engine given its own `poolclass`, ignore them.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" or "poolclass" in kwargs:
        kwargs.pop("pool_size", None)
        kwargs.pop("max_overflow", None)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "savepoint", _sqlite_savepoint_writes)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class PoolOptions(TypedDict, total=False):
    """How many connections one process may hold on a server database."""

    pool_size: int
    max_overflow: int


def pool_options(settings: Settings) -> PoolOptions:
    """The connections one process may hold on a server database (CALLCENTER_DB_POOL_SIZE
    kept open, CALLCENTER_DB_MAX_OVERFLOW more at busy moments), for make_engine."""
    return {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """The session factory bound to `engine` (objects stay readable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back on error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Any:
    """Alembic's configuration pointing at the packaged migrations and `url`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "callcenter:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (creating a SQLite file if needed)."""
    from alembic import command

    make_engine(url).dispose()  # creates the SQLite folder when missing
    command.upgrade(alembic_config(url), revision)


class DatabaseUnavailable(Exception):
    """The database cannot be opened or lacks its tables: one sentence, its password masked."""


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for another database, memory or a `file:` URI."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database).expanduser()


def open_database(
    url: str,
    *,
    need: str | None = None,
    migrate: bool = False,
    **engine_options: Unpack[PoolOptions],
) -> Engine:
    """An engine for `url` that has answered, or DatabaseUnavailable saying why in one line.

    `migrate` brings the schema up to date first (creating a SQLite file when missing);
    without it nothing is created: a missing SQLite file is refused before anything is
    opened. `need` names a table that must exist, in a schema at the current version. The
    URL is shown with its password masked. `engine_options` (pool_options) go to make_engine.
    """
    shown = masked_url(url)
    try:
        path = sqlite_file(url)
        if path is not None and not migrate and not path.is_file():
            raise DatabaseUnavailable(
                f"there is no database at {path} (run `callcenter db upgrade` to create it, "
                "or start `callcenter demo`, or name another with --database)"
            )
        if migrate:
            upgrade(url)
        engine = make_engine(url, **engine_options)
    except (ArgumentError, NoSuchModuleError, DBAPIError, ImportError, ValueError) as exc:
        raise DatabaseUnavailable(
            f"cannot open the database {shown!r}: {_reason(exc, url)}"
        ) from None
    try:
        with engine.connect() as connection:
            problem = None if need is None else _schema_problem(connection, need, url)
    except (DBAPIError, ImportError) as exc:
        engine.dispose()
        raise DatabaseUnavailable(
            f"cannot open the database {shown!r}: {_reason(exc, url)}"
        ) from None
    if problem:
        engine.dispose()
        raise DatabaseUnavailable(f"the database {shown!r} {problem}")
    return engine


def _schema_problem(connection: Connection, need: str, url: str) -> str | None:
    """What keeps a command from reading `need` here, or None when the schema is current."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    if not inspect(connection).has_table(need):
        table = "call records" if need == "calls" else f"{need} table"
        return f"has no {table} (run `callcenter db upgrade` first)"
    current = set(MigrationContext.configure(connection).get_current_heads())
    scripts = ScriptDirectory.from_config(alembic_config(url))
    if current == set(scripts.get_heads()):
        return None
    known = {script.revision for script in scripts.walk_revisions()}
    if current - known:
        return "was migrated by a newer callcenter than this one"
    return "has an older schema (run `callcenter db upgrade` first)"


def _reason(exc: Exception, url: str) -> str:
    """The driver's first line with any password of `url` masked, or the error's class."""
    original = getattr(exc, "orig", None)
    lines = str(original).strip().splitlines() if original is not None else []
    if not lines:
        return exc.__class__.__name__
    password = make_url(url).password
    first = lines[0].replace(str(password), "***") if password else lines[0]
    return f"{exc.__class__.__name__}: {first}"
