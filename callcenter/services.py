"""What every part of the running app shares: settings, database, bus and session keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.settings import Settings
from callcenter.users.session_key import SessionKeys


@dataclass
class Services:
    """Built first by the lifespan; request dependencies and each package's runtime read it."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    bus: Bus
    session_keys: SessionKeys
