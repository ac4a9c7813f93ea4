"""The campaign calls' dialplan of docs/asterisk against what Asterisk 22.10.1 really did.

The captures in tests/fixtures/ami/outbound_* ran `[campaign-dial]` as shipped. Here the
shipped context is walked with what the real PBX answered on each captured call (the AMD,
Dial and Queue results, as its VarSet events report them) and must run the very steps the
capture shows (its Newexten events) and send the very CampaignCall events; and the sample
files hold what the context needs (the queue that never keeps a customer waiting, amd.conf,
the AMI classes of the events the dialer reads).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from callcenter.cti.frames import Frame, parse_stream
from tests.docs.asterisk_conf import ConfigFile, Dialplan, Step, load
from tests.docs.test_asterisk_docs import CAMPAIGN_CONTEXT, CAMPAIGN_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "asterisk"
CAPTURES = ROOT / "tests" / "fixtures" / "ami"
# Every capture whose customer answered: the dialplan ran.
ANSWERED = [
    "outbound_agent",
    "outbound_queue",
    "outbound_abandoned",
    "outbound_machine",
    "outbound_human_amd",
    "outbound_abandoned_amd",
    "outbound_customer_hung_up",
    "outbound_agent_no_answer",
    "outbound_pjsip_queue",
    "outbound_pjsip_abandoned",
    "outbound_pjsip_machine",
]
# What an application leaves for the next step, as Asterisk reports it in a VarSet.
RESULTS = ("AMDSTATUS", "AMDCAUSE", "DIALSTATUS", "QUEUESTATUS")
CONDITION = re.compile(r'^\$\["\$\{(?P<name>\w+)\}"(?P<op>!?=)"(?P<value>[^"]*)"\]$')
REFERENCE = re.compile(r"\$\{(\w+)\}")
STAGES = frozenset({"machine", "answered", "abandoned"})


@pytest.fixture(scope="module")
def dialplan() -> Dialplan:
    return Dialplan.from_config(load(DOCS / "extensions.conf"))


@pytest.fixture(scope="module")
def configs() -> dict[str, ConfigFile]:
    return {path.name: load(path) for path in sorted(DOCS.glob("*.conf"))}


def _frames(capture: str) -> list[Frame]:
    return parse_stream((CAPTURES / capture / "ami.raw").read_bytes())


def _originate_variables(capture: str) -> dict[str, str]:
    """The `Variable:` headers of the capture's Originate, as sent."""
    text = (CAPTURES / capture / "actions.txt").read_text(encoding="utf-8")
    variables = {}
    for line in text.splitlines():
        if line.startswith("Variable: "):
            name, _, value = line.removeprefix("Variable: ").partition("=")
            variables[name] = value
    return variables


def _campaign_channel(frames: list[Frame]) -> str:
    (uniqueid,) = {
        f["Uniqueid"]
        for f in frames
        if f.get("Event") == "Newexten" and f.get("Context") == CAMPAIGN_CONTEXT
    }
    return uniqueid


def _ran(frames: list[Frame], uniqueid: str) -> list[tuple[str, str]]:
    """The steps Asterisk ran in the campaign context: (application, data) in order."""
    return [
        (f["Application"], f.get("AppData", ""))
        for f in frames
        if f.get("Event") == "Newexten"
        and f.get("Uniqueid") == uniqueid
        and f.get("Context") == CAMPAIGN_CONTEXT
    ]


def _results(frames: list[Frame], uniqueid: str) -> dict[str, str]:
    return {
        f["Variable"]: f.get("Value", "")
        for f in frames
        if f.get("Event") == "VarSet" and f.get("Uniqueid") == uniqueid
        if f.get("Variable") in RESULTS
    }


def walk(dialplan: Dialplan, channel: dict[str, str]) -> list[tuple[str, str]]:
    """Run `[campaign-dial]` `s` with `channel`'s variables (the Originate's and what each
    application answered) to its Hangup: every step but GotoIf, as (application, data)."""
    variables = {**dialplan.globals, **channel}
    steps = sorted(dialplan.contexts[CAMPAIGN_CONTEXT].extensions["s"], key=lambda s: s.number)
    ran: list[tuple[str, str]] = []
    index = 0
    while index < len(steps):
        step = steps[index]
        index += 1
        if step.app == "GotoIf":
            target = _branch(step, variables)
            if target is not None:
                index = next(i for i, s in enumerate(steps) if s.label == target)
            continue
        ran.append((step.app, REFERENCE.sub(lambda m: variables.get(m[1], ""), step.args)))
        if step.app == "Hangup":
            break
    return ran


def _branch(step: Step, variables: dict[str, str]) -> str | None:
    condition, _, destinations = step.args.partition("?")
    match = CONDITION.match(condition)
    assert match, f"{step.where}: a condition this check does not evaluate: {condition}"
    holds = (variables.get(match["name"], "") == match["value"]) == (match["op"] == "=")
    when_true, _, when_false = destinations.partition(":")
    return when_true if holds else (when_false or None)


@pytest.mark.parametrize("capture", ANSWERED)
def test_the_shipped_context_runs_the_steps_asterisk_ran(dialplan: Dialplan, capture: str) -> None:
    frames = _frames(capture)
    uniqueid = _campaign_channel(frames)
    ran = _ran(frames, uniqueid)
    channel = {**_originate_variables(capture), **_results(frames, uniqueid)}

    walked = [step for step in walk(dialplan, channel) if step[0] != "GotoIf"]
    captured = [step for step in ran if step[0] != "GotoIf"]
    hung_up = any(
        f.get("Event") == "HangupRequest" and f.get("Uniqueid") == uniqueid for f in frames
    )
    if hung_up:  # the customer left: Asterisk stops the dialplan where they left
        assert walked[: len(captured)] == captured
        assert captured[-1][0] != "Hangup"
    else:
        assert walked == captured


@pytest.mark.parametrize("capture", ANSWERED)
def test_the_context_sends_the_stages_the_capture_shows(dialplan: Dialplan, capture: str) -> None:
    frames = _frames(capture)
    uniqueid = _campaign_channel(frames)
    channel = {**_originate_variables(capture), **_results(frames, uniqueid)}
    walked = [
        data for app, data in walk(dialplan, channel) if app == "UserEvent"
    ]  # the customer who hangs up first stops the walk where Asterisk stopped
    received = [
        f for f in frames if f.get("Event") == "UserEvent" and f.get("UserEvent") == "CampaignCall"
    ]
    assert walked[: len(received)] == [_user_event_data(f) for f in received]
    for event in received:
        assert event["Attempt"] == channel["CC_ATTEMPT"]
        assert event["Stage"] in STAGES
        assert event["Uniqueid"] == event["Linkedid"] == uniqueid


def _user_event_data(frame: Frame) -> str:
    """A received UserEvent written back as the dialplan's UserEvent() argument."""
    headers = ["Attempt", "Stage", "AmdStatus", "AmdCause"]
    fields = [f"{name}: {frame[name]}" for name in headers if name in frame]
    return ",".join([frame["UserEvent"], *fields])


def test_the_context_is_where_the_originate_sends_the_customer(dialplan: Dialplan) -> None:
    # Originate Context=campaign-dial Exten=s Priority=1.
    steps = dialplan.contexts[CAMPAIGN_CONTEXT].extensions["s"]
    assert min(step.number for step in steps) == 1


def test_the_context_reads_every_variable_the_dialer_sets(dialplan: Dialplan) -> None:
    read = {
        match
        for step in dialplan.contexts[CAMPAIGN_CONTEXT].extensions["s"]
        for match in REFERENCE.findall(step.args)
    }
    assert set(CAMPAIGN_VARIABLES) <= read


@pytest.mark.parametrize(
    ("channel", "stages", "ends_with"),
    [
        # AMD off: a person; a reserved agent answers / does not.
        ({"CC_AMD": "0", "CC_AGENT": "PJSIP/1001", "DIALSTATUS": "ANSWER"}, ["answered"], "Dial"),
        (
            {"CC_AMD": "0", "CC_AGENT": "PJSIP/1001", "DIALSTATUS": "NOANSWER"},
            ["answered", "abandoned"],
            "Playback",
        ),
        # The campaign's queue: connected (no QUEUESTATUS) / nobody free.
        ({"CC_AMD": "0", "CC_AGENT": ""}, ["answered"], "Queue"),
        ({"CC_AMD": "0", "QUEUESTATUS": "JOINEMPTY"}, ["answered", "abandoned"], "Playback"),
        ({"CC_AMD": "0", "QUEUESTATUS": "LEAVEEMPTY"}, ["answered", "abandoned"], "Playback"),
        ({"CC_AMD": "0", "QUEUESTATUS": "TIMEOUT"}, ["answered", "abandoned"], "Playback"),
        # AMD: a machine is hung up with no agent bothered; a person or "not sure" goes on.
        ({"CC_AMD": "1", "AMDSTATUS": "MACHINE"}, ["machine"], "UserEvent"),
        ({"CC_AMD": "1", "AMDSTATUS": "HUMAN"}, ["answered"], "Queue"),
        ({"CC_AMD": "1", "AMDSTATUS": "NOTSURE"}, ["answered"], "Queue"),
    ],
)
def test_every_way_through_the_context(
    dialplan: Dialplan, channel: dict[str, str], stages: list[str], ends_with: str
) -> None:
    ran = walk(dialplan, {"CC_ATTEMPT": "9", "CC_QUEUE": "renewals", **channel})
    sent = [data.split("Stage: ")[1].split(",")[0] for app, data in ran if app == "UserEvent"]
    assert sent == stages
    assert ran[-1][0] == "Hangup"
    assert [app for app, _ in ran if app not in ("Set", "Hangup")][-1] == ends_with
    assert ("AMD", "") in ran if channel["CC_AMD"] == "1" else all(a != "AMD" for a, _ in ran)


def test_the_abandoned_message_follows_the_abandoned_stage_at_once(dialplan: Dialplan) -> None:
    # Nothing that waits stands between "nobody can take it" and the message (2-s rule).
    steps = sorted(dialplan.contexts[CAMPAIGN_CONTEXT].extensions["s"], key=lambda s: s.number)
    (index,) = [i for i, s in enumerate(steps) if s.app == "UserEvent" and "abandoned" in s.args]
    assert steps[index + 1].app == "Playback"
    assert steps[index + 1].args == "${ABANDONED_MESSAGE}"
    assert dialplan.globals["ABANDONED_MESSAGE"]
    queue = next(s for s in steps if s.app == "Queue")
    assert queue.args.split(",")[4] == "1"  # Queue()'s own limit: 1 s


def test_campaign_queues_take_a_customer_only_when_an_agent_is_free(
    configs: dict[str, ConfigFile],
) -> None:
    queues = configs["queues.conf"]
    template = queues.section("campaign-queue")
    assert template.is_template
    busy = {"paused", "penalty", "inuse", "ringing", "unavailable", "invalid", "unknown", "wrapup"}
    campaign_queues = [q for q in queues.instances().values() if "campaign-queue" in q.templates]
    assert campaign_queues
    for queue in campaign_queues:
        assert set((queue.value("joinempty") or "").split(",")) == busy, queue.where
        assert set((queue.value("leavewhenempty") or "").split(",")) == busy, queue.where
        # The member's own ring time, not Queue()'s 1 s, bounds a free agent's ring.
        assert queue.value("timeoutpriority") == "conf", queue.where


def test_amd_has_its_configuration(configs: dict[str, ConfigFile]) -> None:
    # app_amd declines to load without amd.conf (seen on 22.10.1), and AMD() then fails.
    general = configs["amd.conf"].section("general")
    for key in ("total_analysis_time", "initial_silence", "after_greeting_silence", "greeting"):
        assert (general.value(key) or "").isdigit(), key


def test_the_ami_user_reads_the_events_of_campaign_calls(configs: dict[str, ConfigFile]) -> None:
    # OriginateResponse and Hangup are `call`, AgentConnect `agent`, CampaignCall `user`.
    user = next(s for n, s in configs["manager.conf"].instances().items() if n != "general")
    read = {part.strip() for part in (user.value("read") or "").split(",")}
    write = {part.strip() for part in (user.value("write") or "").split(",")}
    assert {"call", "agent", "user"} <= read
    assert "originate" in write
