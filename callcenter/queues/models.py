"""SQLAlchemy tables of the queues: what each PBX last said about its queues."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db import Base


class PbxQueue(Base):
    """A queue as a PBX last listed it (QueueParams in its QueueStatus answer).

    One row per (PBX, queue), refreshed at every resync: the service-level threshold the
    PBX counts its own service level with (`servicelevel` in queues.conf; None when the
    queue has none) and when it was last seen. KPIs judge the queue by this threshold
    unless an admin overrides it (see `kpi.thresholds`).
    """

    __tablename__ = "pbx_queues"
    __table_args__ = (UniqueConstraint("server", "queue"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(128))
    service_level_s: Mapped[float | None] = mapped_column(Float)
    seen_at: Mapped[datetime]
