"""SQLAlchemy tables for teams, users and API tokens (queues and skills: callcenter.queues)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcenter.db import Base, utc_now


class Team(Base):
    """A group of agents led by supervisors."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)


class User(Base):
    """Someone who signs in: an agent, a supervisor or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The agent's phone as the PBX names it (e.g. PJSIP/1001) and its queue member name.
    # Both unique: call records, agent states and the wallboard key agents by member name,
    # so two agents sharing one would merge into one.
    interface: Mapped[str | None] = mapped_column(String(128), unique=True)
    member_name: Mapped[str | None] = mapped_column(String(128), unique=True)
    # Signed session cookies carry the generation they were issued in; raising it ends them
    # all (sign-out, a new password, a new role).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    team: Mapped[Team | None] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token acting with its user's scope; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")
