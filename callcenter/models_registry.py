"""Imports every package's models so migrations and checks see all tables."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from callcenter.db import Base

MODEL_MODULES = (
    "callcenter.calls.models",
    "callcenter.users.models",
    "callcenter.queues.models",
    "callcenter.queues.supervision",
    "callcenter.queues.routing.models",
    "crm.customers.models",
    "crm.interactions.models",
    "crm.tickets.models",
    "crm.sla.models",
    "crm.kb.models",
    "callcenter.campaigns.models",
)

# Tables migrations create by hand (full-text indexes) that no model describes; Alembic
# comparisons skip them.
UNMANAGED_TABLE_PREFIXES = ("crm_fts_",)


def target_metadata() -> MetaData:
    """The metadata of every table the project owns."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata
