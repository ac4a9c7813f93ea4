"""The sample Asterisk configuration in docs/asterisk/ has what the code relies on.

Every file is read as Asterisk reads it (tests/docs/asterisk_conf.py: a line of a shape it
does not know fails), then checked against the code: the console's dial context and where
each kind of target goes, the contexts the simulated PBX names, the variables the dialplan
reads, the AMI user and the classes the adapter's actions need, the demo's queues.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from callcenter.agi.variables import ROUTE_VARIABLES
from callcenter.campaigns.dialer import CAMPAIGN_VARIABLES
from callcenter.cti.adapter import RESYNC_ACTIONS
from callcenter.cti.agent_leg import dialable_extension
from callcenter.settings import Settings
from sim.pbx import dialplan as sim_dialplan
from sim.pbx.options import PbxOptions
from sim.records import QUEUE_CONTEXT
from sim.scenario_file import load_scenario
from tests.docs.asterisk_conf import (
    ConfigFile,
    Context,
    Dialplan,
    fill_exten,
    load,
    sample_exten,
)

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "asterisk"
ACTIONS_MODULE = ROOT / "callcenter" / "cti" / "actions.py"

# The write classes Asterisk 22 accepts for each action the adapter sends (any one of them
# will do; none: every user may), from each action's registration in Asterisk's source.
ACTION_CLASSES: dict[str, frozenset[str]] = {
    "Login": frozenset(),
    "Logoff": frozenset(),
    "Ping": frozenset(),
    "QueueStatus": frozenset(),
    "QueueSummary": frozenset(),
    "CoreShowChannels": frozenset({"system", "reporting"}),
    "ShowDialPlan": frozenset({"config", "reporting"}),
    "QueueAdd": frozenset({"agent"}),
    "QueueRemove": frozenset({"agent"}),
    "QueuePause": frozenset({"agent"}),
    "QueuePenalty": frozenset({"agent"}),
    "Originate": frozenset({"originate"}),
    "BlindTransfer": frozenset({"call"}),
    "Atxfer": frozenset({"call"}),
    "CancelAtxfer": frozenset({"call"}),
    "PlayDTMF": frozenset({"call"}),
    "Hangup": frozenset({"system", "call"}),
}
# Event classes the tracker reads: calls and bridges, queues and members, FullyBooted.
READ_CLASSES = frozenset({"call", "agent", "system"})
# Variables the dialplan reads that Asterisk itself sets (and which application sets them).
ASTERISK_VARIABLES = {
    "EXTEN": "every channel",
    "AGISTATUS": "AGI",
    "QUEUESTATUS": "Queue",
    "DIALSTATUS": "Dial",
    "AMDSTATUS": "AMD",
    "AMDCAUSE": "AMD",
}
CAMPAIGN_CONTEXT = "campaign-dial"
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_]\w*)(?::[^}]*)?\}")
SET_VARIABLE = re.compile(r"^_{0,2}(?P<name>[A-Za-z]\w*)=")
# The routing server's answer Asterisk cannot read by name: ${PRIORITY} is the dialplan step.
UNREADABLE = frozenset({"PRIORITY"})


@pytest.fixture(scope="module")
def configs() -> dict[str, ConfigFile]:
    return {path.name: load(path) for path in sorted(DOCS.glob("*.conf"))}


@pytest.fixture(scope="module")
def dialplan(configs: dict[str, ConfigFile]) -> Dialplan:
    return Dialplan.from_config(configs["extensions.conf"])


def test_every_sample_file_reads_as_asterisk_reads_it(configs: dict[str, ConfigFile]) -> None:
    assert set(configs) == {
        "amd.conf",
        "extensions.conf",
        "features.conf",
        "manager.conf",
        "queuerules.conf",
        "queues.conf",
    }


def test_the_default_console_context_is_in_the_dialplan(dialplan: Dialplan) -> None:
    assert Settings().console_dial_context in dialplan.contexts


@pytest.mark.parametrize(
    ("target", "where", "step"),
    [
        # Click-to-dial and transfers to an outside number, with or without a +.
        ("+4930123456", "outbound", "Dial(PJSIP/+4930123456@trunk,60,T)"),
        ("0301234567", "outbound", "Dial(PJSIP/0301234567@trunk,60,T)"),
        ("4000", "outbound", "Dial(PJSIP/4000@trunk,60,T)"),
        # An agent by the extension of their phone (PJSIP/1001 is dialled as 1001).
        ("1001", "phones", "Dial(PJSIP/1001,30,tT)"),
        ("3999", "phones", "Dial(PJSIP/3999,30,tT)"),
        # A queue by name: a second visit of the same call, which the agent may transfer on.
        ("support", "queues", "Queue(support,t,,,${QUEUE_WAIT})"),
    ],
)
def test_the_console_context_takes_every_kind_of_target(
    dialplan: Dialplan, target: str, where: str, step: str
) -> None:
    assert dialplan.route(Settings().console_dial_context, target) == (where, step)


def test_the_console_reaches_every_queue_of_the_samples_and_the_demo(
    configs: dict[str, ConfigFile], dialplan: Dialplan
) -> None:
    queues = set(configs["queues.conf"].instances()) - {"general"}
    demo = {spec.name for spec in load_scenario("demo").queues}
    assert demo <= queues
    for queue in queues:
        assert dialplan.route(Settings().console_dial_context, queue) == (
            "queues",
            f"Queue({queue},t,,,${{QUEUE_WAIT}})",
        )


def test_the_simulated_pbx_contexts_are_in_the_dialplan(dialplan: Dialplan) -> None:
    # Callers from the trunk and blind transfers to a queue land in this context.
    assert dialplan.route(QUEUE_CONTEXT, "billing") == (
        "queues",
        "Queue(billing,t,,,${QUEUE_WAIT})",
    )


def test_the_dialplan_reads_every_variable_the_routing_server_answers(
    dialplan: Dialplan,
) -> None:
    # callcenter/agi/variables.py is what the FastAGI server sets; the dialplan (or app_queue,
    # for QUEUE_PRIO and the penalties, which the dialplan also reads) uses each of them.
    trunk = dialplan.contexts["from-trunk"]
    read = {name for name, where in _read_variables(dialplan) if where in _wheres(trunk)}
    assert read >= set(ROUTE_VARIABLES) - UNREADABLE
    assert "PRIORITY" in ROUTE_VARIABLES and "QUEUE_PRIO" in ROUTE_VARIABLES


def _wheres(context: Context) -> set[str]:
    return {step.where for steps in context.extensions.values() for step in steps}


def test_no_step_reads_the_dialplan_priority_as_a_variable(dialplan: Dialplan) -> None:
    # ${PRIORITY} is Asterisk's own: the step number of the running extension.
    readers = [step.where for _, _, step in dialplan.steps() if "${PRIORITY" in step.args]
    assert readers == []


def test_every_variable_the_dialplan_reads_is_set_somewhere(dialplan: Dialplan) -> None:
    known = (
        _assigned(dialplan)
        | set(dialplan.globals)
        | set(ASTERISK_VARIABLES)
        | set(ROUTE_VARIABLES)
        | set(CAMPAIGN_VARIABLES)
    )
    unknown = {(name, where) for name, where in _read_variables(dialplan) if name not in known}
    assert unknown == set()


def _assigned(dialplan: Dialplan) -> set[str]:
    """Variables a step sets: Set(NAME=...) and Read(NAME,...)."""
    names = set()
    for _, _, step in dialplan.steps():
        if step.app == "Set" and (match := SET_VARIABLE.match(step.args)):
            names.add(match["name"])
        elif step.app == "Read":
            names.add(step.args.split(",")[0])
    return names


def _read_variables(dialplan: Dialplan) -> set[tuple[str, str]]:
    """(name, where) of every ${NAME} a step reads."""
    return {
        (match["name"], step.where)
        for _, _, step in dialplan.steps()
        for match in VARIABLE.finditer(step.args)
    }


def test_every_jump_lands_on_a_step_that_exists(dialplan: Dialplan) -> None:
    for context, exten, step in dialplan.steps():
        if step.app == "GotoIf":
            _, _, destination = step.args.rpartition("?")
            for target in destination.split(":"):
                if "," in target:
                    _goto_lands(dialplan, exten, target, step.where)
                else:
                    labels = {s.label for s in context.extensions[exten]}
                    assert target in labels, f"{step.where}: no label {target!r}"
        elif step.app == "Goto":
            _goto_lands(dialplan, exten, step.args, step.where)
    for context in dialplan.contexts.values():
        assert set(context.includes) <= set(dialplan.contexts)


def _goto_lands(dialplan: Dialplan, pattern: str, args: str, where: str) -> None:
    """A Goto from extension `pattern` to `args` finds an extension for whatever the
    pattern matched (a queue chosen at run time is left to the queue checks)."""
    context, exten, priority = args.split(",")
    assert context in dialplan.contexts, f"{where}: no context [{context}]"
    assert priority == "1", f"{where}: jumps into the middle of an extension"
    target = fill_exten(exten, sample_exten(pattern))
    if "${" not in target:
        dialplan.find(context, target)


def test_agents_may_transfer_the_calls_they_take(dialplan: Dialplan) -> None:
    # AMI Atxfer plays the feature code into the agent's leg: the leg needs the right to
    # transfer, `t` for the called party of Queue(), `T` for the caller of a Dial().
    for _, _, step in dialplan.steps():
        options = step.args.split(",")[1:3]
        if step.app == "Queue":
            assert "t" in options[0], step.where
        if step.app == "Dial" and "@trunk" in step.args:
            assert "T" in options[1], step.where


def test_attended_transfer_has_a_feature_code(configs: dict[str, ConfigFile]) -> None:
    features = configs["features.conf"]
    assert features.section("featuremap").value("atxfer")
    # No voice prompt that would fail an Atxfer where its sound file is missing.
    assert features.section("general").value("transferannouncesound") == ""


def test_the_ami_user_of_the_simulated_pbx_may_do_what_the_adapter_does(
    configs: dict[str, ConfigFile],
) -> None:
    manager = configs["manager.conf"]
    general = manager.section("general")
    assert general.value("enabled") == "yes"
    assert general.value("timestampevents") == "yes"
    user = manager.section(PbxOptions().username)
    read = set(_classes(user.value("read")))
    write = set(_classes(user.value("write")))
    assert read >= READ_CLASSES
    sent = _actions_the_code_sends()
    assert sent >= set(RESYNC_ACTIONS)
    for action in sent:
        assert action in ACTION_CLASSES, f"no class known for {action}: add it to the table"
        needed = ACTION_CLASSES[action]
        assert not needed or needed & write, f"{action} needs one of {sorted(needed)}"


def test_the_readme_connects_as_the_manager_user(configs: dict[str, ConfigFile]) -> None:
    readme = (DOCS / "README.md").read_text(encoding="utf-8")
    users = set(re.findall(r"ami://(\w+):", readme))
    assert users == {PbxOptions().username}
    assert set(configs["manager.conf"].instances()) == {"general", *users}


def test_queue_members_are_dynamic(configs: dict[str, ConfigFile]) -> None:
    # The console signs agents in and out (QueueAdd/QueueRemove); a static member can
    # be neither, so the samples list none.
    for queue in configs["queues.conf"].sections.values():
        assert queue.values("member") == [], queue.where


def _classes(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _actions_the_code_sends() -> set[str]:
    """Every `"Action": "<name>"` written in the adapter's action module and its resync."""
    tree = ast.parse(ACTIONS_MODULE.read_text(encoding="utf-8"))
    sent = set(RESYNC_ACTIONS)
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "Action"
                    and isinstance(value, ast.Constant)
                ):
                    sent.add(str(value.value))
    return sent


def test_the_console_hold_code_is_a_dynamic_feature_every_call_gets(
    configs: dict[str, ConfigFile], dialplan: Dialplan
) -> None:
    hold = configs["features.conf"].section("applicationmap").value("consolehold")
    assert hold is not None
    code, activate_on, app = hold.split(",", 2)
    assert code == Settings(database_url="sqlite://").console_hold_keys
    assert activate_on == "self" and app.startswith("Read(") and app.endswith(",default")
    named = [
        step.where
        for _, _, step in dialplan.steps()
        if step.app == "Set" and "DYNAMIC_FEATURES=consolehold" in step.args
    ]
    # The queues' calls, the preferred agent's ring and campaign calls (inherited, `__`), both
    # outbound patterns.
    assert len(named) == 5, named


# Every shape of agent interface a queue member may have, with the phone it rings.
AGENT_INTERFACES = [
    ("PJSIP/1001", "1001"),
    ("SIP/2001", "2001"),
    ("IAX2/3999", "3999"),
    ("PJSIP/1001@pbx", "1001"),
    ("Local/1002@agents/n", "1002"),
    ("Local/1002@agents", "1002"),
    ("Local/1003@phones/nj", "1003"),
]
INTERFACE = re.compile(r"`(?P<interface>(?:PJSIP|SIP|IAX2|Local)/[^`\s]+)`")


@pytest.mark.parametrize(("interface", "exten"), AGENT_INTERFACES)
def test_a_transfer_to_an_agent_rings_their_phone_whatever_their_interface(
    dialplan: Dialplan, interface: str, exten: str
) -> None:
    # The console transfers to an agent by dialable_extension(interface), in its context.
    dialled = dialable_extension(interface)
    assert dialled == exten
    assert dialplan.route(Settings().console_dial_context, dialled) == (
        "phones",
        f"Dial(PJSIP/{exten},30,tT)",
    )


def test_every_agent_interface_the_readme_shows_is_one_a_transfer_reaches() -> None:
    readme = (DOCS / "README.md").read_text()
    dialplan = Dialplan.from_config(load(DOCS / "extensions.conf"))
    agents = {
        match["interface"]
        for match in INTERFACE.finditer(readme)
        if "-" not in match["interface"]  # a channel's name, not an interface
    }
    assert any(interface.startswith("Local/") for interface in agents)
    for interface in agents:
        dialled = dialable_extension(interface)
        assert dialled is not None, interface
        assert dialplan.route(Settings().console_dial_context, dialled)[0] == "phones", interface


def test_the_simulated_pbx_has_the_shipped_contexts_extensions(dialplan: Dialplan) -> None:
    # Its queues' names stand for `_[a-z].` (the simulated PBX lists each queue it has).
    for name, extensions in sim_dialplan.CONTEXTS.items():
        if name not in dialplan.contexts:
            continue  # the capture PBX's `transfers`, which the samples do not ship
        shipped = set(dialplan.contexts[name].extensions)
        simulated = {"_[a-z]." if e == sim_dialplan.QUEUE_NAMES else e for e in extensions}
        assert simulated == shipped, name
    assert {"console", "queues", "phones", "outbound"} <= set(sim_dialplan.CONTEXTS)


@pytest.mark.parametrize(
    "target",
    ["support", "billing", "1001", "3999", "4000", "0301234567", "+4930123456", "n", "7", "x"],
)
def test_the_simulated_pbx_routes_console_targets_as_the_shipped_dialplan(
    configs: dict[str, ConfigFile], dialplan: Dialplan, target: str
) -> None:
    queues = set(configs["queues.conf"].instances()) - {"general"}
    simulated = sim_dialplan.Dialplan(lambda: queues, lambda: ["1001", "3999"])
    context = Settings().console_dial_context
    reached = simulated.route(context, target)
    try:
        shipped: str | None = dialplan.route(context, target)[0]
    except KeyError:
        shipped = None
    assert (reached.context if reached is not None else None) == shipped
