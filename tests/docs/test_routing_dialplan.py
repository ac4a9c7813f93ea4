"""The inbound routing of docs/asterisk against what Asterisk 22.10.1 really did.

The FastAGI conversations in tests/fixtures/agi were recorded from the sample dialplan on a
real Asterisk; here each recorded answer is followed through `[from-trunk]` as Asterisk
follows it, to the context it ends in, and the recordings are checked against the server's
contract (callcenter/agi/variables.py) and Asterisk's documented FastAGI format.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from callcenter.agi.variables import ROUTE_VARIABLES
from tests.agi_recordings import FROM_ASTERISK, FROM_SERVER, agi_words, load, names
from tests.docs.asterisk_conf import Dialplan
from tests.docs.asterisk_conf import load as load_conf

DOCS = Path(__file__).resolve().parents[2] / "docs" / "asterisk"
DID = "4930555000"
# The request block Asterisk 22 sends, field by field, in its order.
AGI_FIELDS = [
    "agi_network",
    "agi_network_script",
    "agi_request",
    "agi_channel",
    "agi_language",
    "agi_type",
    "agi_uniqueid",
    "agi_version",
    "agi_callerid",
    "agi_calleridname",
    "agi_callingpres",
    "agi_callingani2",
    "agi_callington",
    "agi_callingtns",
    "agi_dnid",
    "agi_rdnis",
    "agi_context",
    "agi_extension",
    "agi_priority",
    "agi_enhanced",
    "agi_accountcode",
    "agi_threadid",
    "agi_arg_1",
    "agi_arg_2",
]
CONDITION = re.compile(r'^\$\["\$\{(?P<name>\w+)\}"(?P<op>!?=)"(?P<value>[^"]*)"\]$')
REFERENCE = re.compile(r"\$\{(\w+)\}")
PASSIVE = frozenset({"NoOp", "Verbose", "Answer"})


@pytest.fixture(scope="module")
def dialplan() -> Dialplan:
    return Dialplan.from_config(load_conf(DOCS / "extensions.conf"))


def follow(dialplan: Dialplan, exten: str, channel: dict[str, str]) -> tuple[str, str, dict]:
    """Run `[from-trunk]` for `exten` with the AGI's outcome in `channel` (AGISTATUS and what
    the server set) until the call leaves it: the context, extension and channel variables."""
    variables = {**dialplan.globals, **channel, "EXTEN": exten}
    context, pattern = dialplan.find("from-trunk", exten)
    steps = sorted(dialplan.contexts[context].extensions[pattern], key=lambda s: s.number)
    index = 0
    while True:
        step = steps[index]
        index += 1
        target = None
        if step.app == "AGI":
            continue  # its outcome is `channel`
        if step.app == "GotoIf":
            target = _branch(step.args, variables)
        elif step.app == "Goto":
            target = step.args
        elif step.app == "Set":
            _set(step.args, variables)
        elif step.app not in PASSIVE:
            raise AssertionError(f"{step.where}: {step.app} in [from-trunk]")
        if target is None:
            continue
        if "," not in target:
            index = next(i for i, s in enumerate(steps) if s.label == target)
            continue
        where, extension, _ = REFERENCE.sub(lambda m: variables[m[1]], target).split(",")
        return where, extension, variables


def _branch(args: str, variables: dict[str, str]) -> str | None:
    condition, _, destinations = args.partition("?")
    match = CONDITION.match(condition)
    assert match, f"a condition this check does not evaluate: {condition}"
    holds = (variables.get(match["name"], "") == match["value"]) == (match["op"] == "=")
    when_true, _, when_false = destinations.partition(":")
    return when_true if holds else (when_false or None)


def _set(args: str, variables: dict[str, str]) -> None:
    name, _, value = args.partition("=")
    if "$[" in value:  # an expression: Asterisk's own normalising, checked on the real PBX
        return
    variables[name.lstrip("_")] = REFERENCE.sub(lambda m: variables.get(m[1], ""), value)


@pytest.mark.parametrize(
    ("recording", "where", "extension"),
    [
        ("known", "queues", "support"),
        ("unknown", "queues", "support"),
        ("vip", "queues", "support"),
        ("skills_rule", "queues", "support"),
        ("menu_digits", "queues", "support"),
        ("preferred_agent", "preferred", "support"),
        ("open_ticket", "preferred", "support"),
        ("blocked", "refused", DID),
        ("closed", "closed", DID),
        ("closed_overflow", "queues", "sales"),
        ("no_answer", "queues", "support"),
    ],
)
def test_each_recorded_answer_leads_where_asterisk_took_it(
    dialplan: Dialplan, recording: str, where: str, extension: str
) -> None:
    answer = load(recording).variables()
    reached, exten, channel = follow(dialplan, DID, {"AGISTATUS": "SUCCESS", **answer})
    assert (reached, exten) == (where, extension)
    assert channel["CUSTOMER_ID"] == answer.get("CUSTOMER_ID", "")


@pytest.mark.parametrize("status", ["FAILURE", "NOTFOUND", "HANGUP"])
def test_a_server_that_fails_leaves_the_caller_in_the_default_queue(
    dialplan: Dialplan, status: str
) -> None:
    # A refused connection is FAILURE at once; an unreachable host after 2 s (README).
    half_answer = {"AGISTATUS": status, "QUEUE": "sales", "ROUTE_REASON": "blocked"}
    reached, exten, _ = follow(dialplan, DID, half_answer)
    assert (reached, exten) == ("queues", dialplan.globals["DEFAULT_QUEUE"])


def test_routing_switched_off_asks_nobody(dialplan: Dialplan) -> None:
    dialplan.globals["CRM_ROUTING"], saved = "no", dialplan.globals["CRM_ROUTING"]
    try:
        blocked = load("blocked").variables()
        assert follow(dialplan, DID, {"AGISTATUS": "SUCCESS", **blocked})[:2] == (
            "queues",
            "support",
        )
    finally:
        dialplan.globals["CRM_ROUTING"] = saved


def test_the_dialplan_asks_the_local_server_by_default(dialplan: Dialplan) -> None:
    # Refused at once when the server is down: no 2 s wait (a remote host costs 2 s).
    assert dialplan.globals["CRM_AGI"] == "agi://127.0.0.1:4573/route"
    assert all(
        load(name).header()["agi_request"] == dialplan.globals["CRM_AGI"] for name in names()
    )


def test_blocked_callers_are_refused_unanswered_and_closed_ones_reach_a_mailbox(
    dialplan: Dialplan,
) -> None:
    refused = [s.app for s in dialplan.contexts["refused"].extensions["_X."]]
    assert "Answer" not in refused and refused[-1] == "Hangup"
    assert dialplan.contexts["refused"].extensions["_X."][-1].args == "21"
    closed = {s.app: s.args for s in dialplan.contexts["closed"].extensions["_X."]}
    assert closed["Playback"] == "${CLOSED_MESSAGE}"
    assert closed["VoiceMail"].startswith("${CLOSED_MAILBOX}@")


def test_the_preferred_member_rings_alone_then_the_queue_takes_the_call(
    dialplan: Dialplan,
) -> None:
    steps = dialplan.contexts["preferred"].extensions["_[a-z]."]
    apps = [step.app for step in steps]
    dial = steps[apps.index("Dial")]
    member, wait, options = dial.args.split(",")
    assert (member, wait) == ("${PREFERRED_MEMBER}", "${PREFERRED_WAIT}")
    assert "t" in options  # the agent may transfer the caller, as from the queue
    assert int(dialplan.globals["PREFERRED_WAIT"]) > 0
    # Only a free phone is offered: a busy one goes straight to the queue, before Dial.
    check = steps[apps.index("GotoIf")]
    assert "DEVICE_STATE(${PREFERRED_MEMBER})" in check.args
    assert check.args.endswith("?queues,${EXTEN},1") and check.number < dial.number
    assert "Goto" in apps[apps.index("Dial") :]


def test_queues_widen_a_callers_skills_window_by_a_rule_that_exists() -> None:
    queues = load_conf(DOCS / "queues.conf")
    rules = load_conf(DOCS / "queuerules.conf")
    names_used = {
        rule for queue in queues.instances().values() if (rule := queue.value("defaultrule"))
    }
    assert names_used and names_used <= set(rules.instances())
    for name in names_used:
        changes = rules.section(name).values("penaltychange")
        assert changes, name
        seconds = [int(change.split(",")[0]) for change in changes]
        assert seconds == sorted(seconds)
        # Relative raises leave a caller without needs (no maximum) alone.
        assert all(change.split(",")[1].startswith("+") for change in changes)


def test_the_sample_penalty_limit_is_app_queues_own_no_limit(dialplan: Dialplan) -> None:
    assert int(dialplan.globals["NO_PENALTY_LIMIT"]) == 2**31 - 1


@pytest.mark.parametrize("name", names())
def test_each_recording_opens_with_asterisks_request_block(name: str) -> None:
    recording = load(name)
    header = recording.header()
    assert list(header) == AGI_FIELDS
    assert header["agi_network"] == "yes" and header["agi_network_script"] == "route"
    assert header["agi_version"] == "22.10.1"
    assert header["agi_arg_1"] == header["agi_extension"]
    assert recording.request().endswith(b"\n\n")


@pytest.mark.parametrize("name", names())
def test_each_recording_sets_the_route_variables_in_order(name: str) -> None:
    recording = load(name)
    commands = [line for who, line in recording.after_request() if who == FROM_SERVER]
    replies = [line for who, line in recording.after_request() if who == FROM_ASTERISK]
    if name == "no_answer":
        assert commands == [] and replies == []
        return
    assert [agi_words(c.decode())[2] for c in commands] == list(ROUTE_VARIABLES)
    assert all(c.startswith(b"SET VARIABLE ") and c.endswith(b'"\n') for c in commands)
    assert [r for r in replies if r != b"HANGUP\n"] == [b"200 result=1\n"] * len(commands)


def test_a_caller_who_hangs_up_mid_script_gets_hangup_before_any_command() -> None:
    lines = load("hangup_mid_script").after_request()
    assert lines[0] == (FROM_ASTERISK, b"HANGUP\n")
    # Asterisk still answers SET VARIABLE on the dead channel.
    assert lines[1][0] == FROM_SERVER and lines[2] == (FROM_ASTERISK, b"200 result=1\n")


def test_values_are_stored_as_asterisk_parses_the_quotes() -> None:
    assert load("skills_rule").variables()["ROUTE_RULE"] == 'German "Deutsch" speakers'
    assert agi_words('SET VARIABLE QUEUE ""') == ["SET", "VARIABLE", "QUEUE", ""]
    assert agi_words(r'SET VARIABLE X "a\\b \"c\""') == ["SET", "VARIABLE", "X", 'a\\b "c"']


def test_the_menu_key_reaches_the_server_as_argument_two() -> None:
    assert load("menu_digits").header()["agi_arg_2"] == "1"
    assert load("known").header()["agi_arg_2"] == ""
