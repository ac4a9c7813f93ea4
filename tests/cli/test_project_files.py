"""The README's settings table renders as one table, and packaging raises no warning."""

from __future__ import annotations

import warnings
from pathlib import Path

from setuptools.config import pyprojecttoml
from setuptools.dist import Distribution

from callcenter.settings import Settings

ROOT = Path(__file__).parents[2]


def settings_table(readme: str) -> list[str]:
    """The lines from the settings table's header to the first line that is not a row."""
    lines = readme.splitlines()
    start = lines.index("| variable | default | meaning |")
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return table


def test_the_settings_table_is_one_table_naming_every_setting() -> None:
    table = settings_table((ROOT / "README.md").read_text(encoding="utf-8"))
    assert table[1] == "|---|---|---|"
    named = {line.split("`")[1] for line in table[2:]}
    # A blank line inside the table would end it early and leave settings out of it.
    assert {f"CALLCENTER_{name.upper()}" for name in Settings.model_fields} <= named


def test_the_readme_demo_walkthrough_says_sign_in_makes_you_available() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "then 'Available'" not in readme and 'then "Available"' not in readme
    assert "makes you available" in readme


def test_the_package_metadata_reads_without_a_deprecation_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        distribution = Distribution()
        pyprojecttoml.apply_configuration(distribution, ROOT / "pyproject.toml")
    assert distribution.metadata.license_expression == "AGPL-3.0-or-later"
