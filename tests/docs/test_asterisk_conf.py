"""The strict Asterisk configuration reader: what it takes, and every shape it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.asterisk_conf import ConfigError, Dialplan, load, matches, sample_exten

QUEUES = """\
[general]
persistentmembers = yes           ; a comment
announce = 30 \\; not a comment
;-- a block comment
[never] read --;
[defaults](!)
strategy = rrmemory
[support](defaults)
servicelevel = 20
[support](+)
member => PJSIP/1001
"""
DIALPLAN = """\
[general]
static = yes
[globals]
WAIT = 30
[agents]
exten => _[1-3]XXX,1,NoOp(agent ${EXTEN})
 same => n(ring),Dial(PJSIP/${EXTEN},30)
 same => n,Hangup()
exten => _+X.,1,Goto(out,${EXTEN},1)
[out]
exten => _+X.,1,Dial(PJSIP/${EXTEN}@trunk)
exten => _9X.,1,Goto(out,+${EXTEN:1},1)
[front]
include => agents
exten => support,1,Queue(support)
"""


def write(tmp_path: Path, text: str, name: str = "test.conf") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sections_templates_and_additions(tmp_path: Path) -> None:
    config = load(write(tmp_path, QUEUES))
    assert "never" not in config.sections
    assert config.section("general").value("announce") == "30 ; not a comment"
    assert config.section("defaults").is_template
    support = config.section("support")
    assert support.templates == ("defaults",)
    assert support.value("strategy") == "rrmemory"
    assert support.values("member") == ["PJSIP/1001"]
    assert "defaults" not in config.instances()


def test_extensions_with_same_chains_and_labels(tmp_path: Path) -> None:
    dialplan = Dialplan.from_config(load(write(tmp_path, DIALPLAN)))
    assert set(dialplan.contexts) == {"agents", "out", "front"}
    assert dialplan.globals == {"WAIT": "30"}
    chain = dialplan.contexts["agents"].extensions["_[1-3]XXX"]
    assert [(s.number, s.label, s.app) for s in chain] == [
        (1, None, "NoOp"),
        (2, "ring", "Dial"),
        (3, None, "Hangup"),
    ]
    assert chain[1].args == "PJSIP/${EXTEN},30"
    assert dialplan.contexts["front"].includes == ["agents"]


@pytest.mark.parametrize(
    ("context", "exten", "route"),
    [
        ("agents", "1001", ("agents", "Dial(PJSIP/1001,30)")),  # [1-3]XXX beats X.
        ("agents", "+49301", ("out", "Dial(PJSIP/+49301@trunk)")),
        ("out", "9301", ("out", "Dial(PJSIP/+301@trunk)")),
        ("front", "support", ("front", "Queue(support)")),
        ("front", "2002", ("agents", "Dial(PJSIP/2002,30)")),  # through the include
    ],
)
def test_routes_follow_gotos_and_includes(
    tmp_path: Path, context: str, exten: str, route: tuple[str, str]
) -> None:
    dialplan = Dialplan.from_config(load(write(tmp_path, DIALPLAN)))
    assert dialplan.route(context, exten) == route


def test_an_extension_nothing_takes(tmp_path: Path) -> None:
    dialplan = Dialplan.from_config(load(write(tmp_path, DIALPLAN)))
    with pytest.raises(KeyError, match="no extension takes 'sales'"):
        dialplan.route("front", "sales")


@pytest.mark.parametrize(
    ("pattern", "exten", "expected"),
    [
        ("_X.", "1", False),  # `.` is one or more
        ("_X.", "12", True),
        ("_X!", "1", True),
        ("_[a-z].", "support", True),
        ("_[a-z].", "Support", False),
        ("_NXX", "123", False),
        ("_NXX", "223", True),
        ("_ZX", "05", False),
        ("_+X.", "+49", True),
        ("support", "support", True),
        ("support", "supports", False),
    ],
)
def test_patterns_match_as_asterisk_matches(pattern: str, exten: str, expected: bool) -> None:
    assert matches(pattern, exten) is expected


@pytest.mark.parametrize("pattern", ["_X.", "_[1-3]XXX", "_+X.", "_9X.", "_[a-z].", "s"])
def test_a_sample_extension_matches_its_pattern(pattern: str) -> None:
    assert matches(pattern, sample_exten(pattern))


def test_includes_read_in_place(tmp_path: Path) -> None:
    write(tmp_path, "exten => 1,1,NoOp()\n", "inner.conf")
    path = write(
        tmp_path,
        '[one]\n#include "inner.conf"\n#tryinclude missing.conf\nexten => 2,1,NoOp()\n',
    )
    dialplan = Dialplan.from_config(load(path))
    assert set(dialplan.contexts["one"].extensions) == {"1", "2"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[one]\nnot a setting\n", "not a setting"),
        ("key = value\n", "before any section"),
        ("[one\n", "not a section header"),
        ("[one]()\n", "empty options"),
        ("[one]\n[one]\n", "again"),
        ("[one](+)\n", "adds to a section defined before"),
        ("[one](base)\n", "which is no template"),
        ("[base]\n[one](base)\n", "which is no template"),
        ("#exec /bin/true\n", "unknown directive"),
        ("#include nowhere.conf\n", "missing file"),
        ("[one]\n;-- never closed\n", "never closed"),
        ("[ctx]\nexten = 1,1,NoOp()\n", "takes =>"),
        ("[ctx]\nswitch => Realtime/ctx@x\n", "unknown dialplan line"),
        ("[ctx]\nexten => 1\n", "needs a pattern and a priority"),
        ("[ctx]\nsame => n,NoOp()\n", "before any exten"),
        ("[ctx]\nexten => 1,n,NoOp()\n", "no priority before it"),
        ("[ctx]\nexten => 1,1,NoOp()\nexten => 1,1,NoOp()\n", "priority 1 twice"),
        ("[ctx]\nexten => 1,1(a),NoOp()\n same => n(a),NoOp()\n", "label 'a' twice"),
        ("[ctx]\nexten => 1,x,NoOp()\n", "not a priority"),
        ("[ctx]\nexten => 1,hint,PJSIP/1\n", "not a priority"),
        ("[ctx]\nexten => 1,1,NoOp(unclosed\n", "not an application"),
        ("[ctx]\nexten => _X.X,1,NoOp()\n", "only at the end"),
        ("[ctx]\nexten => _[12,1,NoOp()\n", r"unclosed \["),
        ("[ctx]\nexten => 1/5551234,1,NoOp()\n", "caller-id matching"),
    ],
)
def test_shapes_it_does_not_know_are_errors(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        Dialplan.from_config(load(write(tmp_path, text)))


def test_an_error_names_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^test\.conf:3: not a setting"):
        load(write(tmp_path, "[one]\na = 1\noops\n"))
