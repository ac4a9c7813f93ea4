"""What supervisors did to agents' queue membership (force pause, unpause, sign-out), and why."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from callcenter.db import Base, utc_now


class SupervisorMove(StrEnum):
    """A supervisor's action on an agent, as the log names it."""

    PAUSE = "pause"
    UNPAUSE = "unpause"
    SIGN_OUT = "sign_out"


class SupervisorAction(Base):
    """One action a supervisor took on an agent, logged once the PBX confirmed it.

    `detail` is what was done in the PBX's terms (the pause reason, the queues left);
    `note` is the reason the supervisor typed, shown to the agent and kept for audit.
    """

    __tablename__ = "supervisor_actions"
    __table_args__ = (Index("ix_supervisor_actions_agent_at", "agent", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    supervisor: Mapped[str] = mapped_column(String(64))
    agent: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(String(255))

    def told(self, supervisor_name: str) -> str:
        """The line the agent's console shows: `Paused by supervisor Sue: why`."""
        if self.action == SupervisorMove.PAUSE:
            done = "Paused"
        elif self.action == SupervisorMove.UNPAUSE:
            done = "Made available"
        else:
            done = self.detail[:1].upper() + self.detail[1:]
        return f"{done} by supervisor {supervisor_name}: {self.note}"


def record_action(
    session: Session,
    *,
    supervisor: str,
    agent: str,
    move: SupervisorMove,
    detail: str,
    note: str,
    at: datetime | None = None,
) -> SupervisorAction:
    """Log a confirmed action (flushes; the caller commits)."""
    action = SupervisorAction(
        at=at or utc_now(),
        supervisor=supervisor,
        agent=agent,
        action=move.value,
        detail=detail,
        note=note,
    )
    session.add(action)
    session.flush()
    return action


def latest_action(session: Session, agent: str, since: datetime) -> SupervisorAction | None:
    """The agent's newest action taken at or after `since`, if any."""
    query = (
        select(SupervisorAction)
        .where(SupervisorAction.agent == agent, SupervisorAction.at >= since)
        .order_by(SupervisorAction.at.desc(), SupervisorAction.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def recent_actions(session: Session, agent: str, limit: int = 20) -> list[SupervisorAction]:
    """The agent's latest actions, newest first."""
    query = (
        select(SupervisorAction)
        .where(SupervisorAction.agent == agent)
        .order_by(SupervisorAction.at.desc(), SupervisorAction.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
