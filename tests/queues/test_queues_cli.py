"""`callcenter queues list|import|export`: a TOML file in, the same file out; a bad entry
refuses the whole file, each error named, exit 2."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.cli import main
from callcenter.db import transaction
from callcenter.queues.directory import queue_info
from callcenter.queues.members import members_by_name
from callcenter.users.service import Role, create_user
from crm.sla.models import BusinessHours

FILE = """\
[[queue]]
name = "support"
display_name = "Support"
service_level_s = 20.0
service_level_target = 0.8
business_hours = "Office"
overflow = "billing"
open = true
numbers = ["+15550100", "8000"]
members = [{ user = "ada", penalty = 1 }, { user = "bob", penalty = 0 }]

[[queue]]
name = "billing"
display_name = "Billing"
short_abandon_s = 4.0
open = false
numbers = []
members = []
"""


@pytest.fixture
def floor(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    with transaction(sessions) as session:
        session.add(BusinessHours(name="Office", timezone="UTC"))
        for name in ("ada", "bob"):
            create_user(session, name, role=Role.AGENT, password="correct horse battery")
        create_user(
            session, "cy", role=Role.AGENT, password="correct horse battery",
            queues=[("support", 3)],
        )  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str, database: str) -> tuple[int, str, str]:
    code = main([*argv, "--database", database])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("floor")
def test_import_then_export_gives_the_file_back(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "queues.toml"
    source.write_text(FILE, encoding="utf-8")
    imported = run(capsys, "queues", "import", str(source), database=database_url)
    assert imported == (0, "2 queues created, 0 replaced\n", ""), imported[2]
    with sessions() as session:
        support = queue_info(session, "support")
        assert support is not None and support.numbers == ("+15550100", "8000")
        assert members_by_name(session, "support") == [("ada", 1), ("bob", 0)]  # cy left
    code, exported, _ = run(capsys, "queues", "export", database=database_url)
    assert code == 0
    # The same queues, settings and members (in the order of their names).
    assert tomllib.loads(exported)["queue"] == sorted(
        tomllib.loads(FILE)["queue"], key=lambda queue: queue["name"]
    )
    again = tmp_path / "again.toml"
    assert run(capsys, "queues", "export", str(again), database=database_url)[0] == 0
    assert run(capsys, "queues", "import", str(again), database=database_url)[1] == (
        "0 queues created, 2 replaced\n"
    )
    assert run(capsys, "queues", "export", database=database_url)[1] == exported


@pytest.mark.usefixtures("floor")
def test_list_shows_each_queue(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "no queue records" in run(capsys, "queues", "list", database=database_url)[1]
    source = tmp_path / "queues.toml"
    source.write_text(FILE, encoding="utf-8")
    run(capsys, "queues", "import", str(source), database=database_url)
    code, listing, _ = run(capsys, "queues", "list", database=database_url)
    assert code == 0
    support = next(line for line in listing.splitlines() if line.startswith("support"))
    for shown in ("+15550100, 8000", "20", "80 %", "Office", "billing", "ada:1, bob:0"):
        assert shown in support
    billing = next(line for line in listing.splitlines() if line.startswith("billing"))
    assert "PBX" in billing and "closed" in billing and "always" in billing


BAD = """\
[[queue]]
name = "support"
numbers = ["+15550100"]

[[queue]]
name = "billing"
numbers = ["+1 555 0100"]
service_level_s = "20"

[[queue]]
name = "sales"
members = [{ user = "nobody" }]
business_hours = "Night"

[[queue]]
name = "support"
"""


@pytest.mark.usefixtures("floor")
def test_a_bad_entry_refuses_the_whole_file_naming_each(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "queues.toml"
    source.write_text(BAD, encoding="utf-8")
    code, out, err = run(capsys, "queues", "import", str(source), database=database_url)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"{source}: queue 2 (billing): service_level_s is a number"
    assert lines[1] == f"{source}: queue 3 (sales): no business-hours calendar named 'Night'"
    assert lines[2] == f"{source}: queue 4 (support): support is listed twice"
    assert lines[3].startswith("callcenter: ") and "nothing imported, 3 queue(s)" in lines[3]
    assert len(lines) == 4
    with sessions() as session:
        assert queue_info(session, "support") is None  # the good entry was not kept either


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[queue]\nname =", "is not valid TOML"),
        ("[queues]\nname = 'x'\n", "unknown top-level keys ['queues']"),
        ("queue = 3\n", "a list of tables"),
    ],
)
def test_an_unreadable_file_is_one_sentence(
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    text: str,
    message: str,
) -> None:
    source = tmp_path / "queues.toml"
    source.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "queues", "import", str(source), database=database_url)
    assert code == 2 and message in err and err.count("\n") == 1
    missing = run(capsys, "queues", "import", str(tmp_path / "none.toml"), database=database_url)
    assert missing[0] == 2 and "cannot read" in missing[2]


def test_the_readmes_example_file_imports(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
    fast_password_hashing: None,
) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Queues\n", 1)[1].split("\n## ", 1)[0]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    with transaction(sessions) as session:
        session.add(BusinessHours(name="Office hours", timezone="UTC"))
        create_user(session, "agent1", role=Role.AGENT, password="correct horse battery")
    source = tmp_path / "example.toml"
    source.write_text("\n".join(line.strip() for line in example.splitlines()), encoding="utf-8")
    code, out, err = run(capsys, "queues", "import", str(source), database=database_url)
    assert (code, out) == (0, "1 queue created, 0 replaced\n"), err
