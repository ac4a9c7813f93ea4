"""calls: wrap-up seconds; queue interval rollups

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import callcenter.db

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COVERING = ["queue", "entered_at", "outcome", "wait_s", "talk_s", "hold_s"]
_COUNTS = [
    "offered",
    "answered",
    "answered_within",
    "abandoned",
    "short_abandoned",
    "abandoned_within",
    "timeouts",
    "timeouts_within",
    "transferred",
]
_SUMS = ["wait_answered_s", "wait_abandoned_s", "talk_s", "hold_s", "wrap_up_s", "longest_wait_s"]

# The visits already stored, counted with the default thresholds (T = 20 s, short abandon
# 5 s): a queue judged by other thresholds reads its visits until `callcenter kpi rollup
# rebuild` counts them again with the settings.
_COUNTING = """
SELECT queue, {start} AS interval_start, 20.0, 5.0,
  COUNT(*),
  SUM(CASE WHEN outcome IN ('answered', 'transferred') THEN 1 ELSE 0 END),
  SUM(CASE WHEN outcome IN ('answered', 'transferred') AND COALESCE(wait_s, 0) <= 20
      THEN 1 ELSE 0 END),
  SUM(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END),
  SUM(CASE WHEN outcome = 'abandoned' AND COALESCE(wait_s, 0) < 5 THEN 1 ELSE 0 END),
  SUM(CASE WHEN outcome = 'abandoned' AND COALESCE(wait_s, 0) <= 20 THEN 1 ELSE 0 END),
  SUM(CASE WHEN outcome IN ('timeout', 'exited') THEN 1 ELSE 0 END),
  SUM(CASE WHEN outcome IN ('timeout', 'exited') AND COALESCE(wait_s, 0) <= 20
      THEN 1 ELSE 0 END),
  SUM(CASE WHEN outcome = 'transferred' THEN 1 ELSE 0 END),
  SUM(CASE WHEN outcome IN ('answered', 'transferred') THEN COALESCE(wait_s, 0) ELSE 0.0 END),
  SUM(CASE WHEN outcome = 'abandoned' THEN COALESCE(wait_s, 0) ELSE 0.0 END),
  SUM(CASE WHEN outcome IN ('answered', 'transferred') THEN COALESCE(talk_s, 0) ELSE 0.0 END),
  SUM(CASE WHEN outcome IN ('answered', 'transferred') THEN hold_s ELSE 0.0 END),
  0.0,
  MAX(COALESCE(wait_s, 0))
FROM queue_visits
WHERE 1 = 1
GROUP BY queue, {start}
"""
_STARTS = {
    "sqlite": "strftime('%Y-%m-%d %H:%M:%S.000000',"
    " CAST(strftime('%s', entered_at) AS INTEGER) / 900 * 900, 'unixepoch')",
    "postgresql": "to_timestamp(CAST(floor(extract(epoch FROM entered_at) / 900) AS INTEGER)"
    " * 900)",
}


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wrap_up_s", sa.Float(), nullable=True))
    with op.batch_alter_table("queue_visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wrap_up_s", sa.Float(), nullable=True))
        batch_op.drop_index("ix_queue_visits_queue_entered_at")
        batch_op.create_index(
            "ix_queue_visits_queue_entered_at", [*_COVERING, "wrap_up_s"], unique=False
        )
    op.create_table(
        "queue_interval_rollups",
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("interval_start", callcenter.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("service_level_s", sa.Float(), nullable=False),
        sa.Column("short_abandon_s", sa.Float(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        *(sa.Column(name, sa.Float(), nullable=False) for name in _SUMS),
        sa.PrimaryKeyConstraint("queue", "interval_start", name=op.f("pk_queue_interval_rollups")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_queue_interval_rollups_interval_start"),
        "queue_interval_rollups",
        ["interval_start"],
        unique=False,
    )
    bind = op.get_bind()
    start = _STARTS.get(bind.dialect.name)
    if start is None:
        raise RuntimeError(f"queue interval rollups need SQLite or PostgreSQL, not {bind.dialect}")
    columns = ["queue", "interval_start", "service_level_s", "short_abandon_s", *_COUNTS, *_SUMS]
    bind.execute(
        sa.text(
            f"INSERT INTO queue_interval_rollups ({', '.join(columns)})"
            + _COUNTING.format(start=start)
        )
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_queue_interval_rollups_interval_start"), table_name="queue_interval_rollups"
    )
    op.drop_table("queue_interval_rollups")
    with op.batch_alter_table("queue_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_visits_queue_entered_at")
        batch_op.create_index("ix_queue_visits_queue_entered_at", _COVERING, unique=False)
        batch_op.drop_column("wrap_up_s")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("wrap_up_s")
