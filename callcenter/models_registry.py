"""Imports every package's models so migrations and checks see all tables."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from callcenter.db import Base

MODEL_MODULES = ("callcenter.calls.models",)


def target_metadata() -> MetaData:
    """The metadata of every table the project owns."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata
