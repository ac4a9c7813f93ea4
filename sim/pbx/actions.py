"""AMI actions the simulated PBX answers, with Asterisk 22's own response texts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sim.pbx import status
from sim.pbx.campaign_calls import variables_of
from sim.pbx.console import ConsoleActions
from sim.pbx.dialplan import UnknownContext
from sim.pbx.render import list_complete, list_event, render_message, response
from sim.pbx.switchboard import Switchboard

Headers = list[tuple[str, str]]


def ast_true(value: str | None) -> bool:
    """Asterisk's ast_true(): yes, true, y, t, 1 and on."""
    return (value or "").strip().lower() in ("yes", "true", "y", "t", "1", "on")


def unknown_action(action_id: str | None, action: str) -> bytes:
    """Asterisk's answer to an action no loaded module provides."""
    return response(
        action_id,
        "Error",
        message=f"Invalid/unknown command: {action}. "
        "Use Action: ListCommands to show available commands.",
    )


class ActionHandler:
    """Turns one action into its reply (and, after the reply is written, its effects)."""

    def __init__(
        self,
        board: Switchboard,
        console: ConsoleActions,
        *,
        sync: Callable[[], object],
        now: Callable[[], float],
    ) -> None:
        self.board = board
        self.console = console
        self.sync = sync
        self.now = now

    def handle(
        self,
        name: str,
        action: str,
        headers: Headers,
        fields: dict[str, str],
        action_id: str | None,
    ) -> Iterator[bytes]:
        """Yield the reply; effects run when the caller asks for more (after sending it)."""
        method = getattr(self, f"_action_{name}", None)
        if method is None:
            yield unknown_action(action_id, action)
            return
        # Every action sees the PBX as it is now: catch the simulation up first.
        self.sync()
        yield from method(headers, fields, action_id)

    # -- lists ---------------------------------------------------------------------------

    def _list(
        self,
        action_id: str | None,
        message: str,
        complete: str,
        entries: list[status.ListItem],
        *,
        action_id_first: bool = False,
    ) -> Iterator[bytes]:
        yield render_message(
            [
                ("Response", "Success"),
                *_aid(action_id),
                ("EventList", "start"),
                ("Message", message),
            ]
        )
        for event_name, item_headers in entries:
            if action_id_first:
                yield render_message([("Event", event_name), *_aid(action_id), *item_headers])
            else:
                yield list_event(event_name, action_id, item_headers)
        yield list_complete(complete, action_id, len(entries))

    def _action_queuestatus(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        items = status.queue_status(self.board, self.now(), f.get("queue", ""), f.get("member", ""))
        yield from self._list(aid, "Queue status will follow", "QueueStatusComplete", items)

    def _action_queuesummary(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        items = status.queue_summary(self.board, self.now(), f.get("queue", ""))
        yield from self._list(aid, "Queue summary will follow", "QueueSummaryComplete", items)

    def _action_coreshowchannels(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        items = status.core_show_channels(self.board, self.now())
        yield from self._list(
            aid, "Channels will follow", "CoreShowChannelsComplete", items, action_id_first=True
        )

    def _action_showdialplan(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        context, exten = f.get("context", ""), f.get("extension", "")
        try:
            found = self.board.dialplan.find(context, exten) if context and exten else None
        except UnknownContext:
            yield response(aid, "Error", message=f"Did not find context {context}")
            return
        if found is None:
            where = f"{exten}@{context}" if context else f"{exten} in any context"
            yield response(aid, "Error", message=f"Did not find extension {where}")
            return
        name, steps = found
        entries: list[status.ListItem] = [
            (
                "ListDialplan",
                [
                    ("Context", context),
                    ("Extension", name),
                    ("Priority", str(priority)),
                    ("Application", app),
                    ("AppData", data),
                    ("Registrar", "pbx_config"),
                ],
            )
            for priority, (app, data) in enumerate(steps, start=1)
        ]
        yield from self._list(
            aid,
            "DialPlan list will follow",
            "ShowDialPlanComplete",
            entries,
            action_id_first=True,
        )

    # -- queue members -------------------------------------------------------------------

    def _action_queueadd(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        queue, interface = f.get("queue", ""), f.get("interface", "")
        if not queue:
            yield response(aid, "Error", message="'Queue' not specified.")
            return
        if not interface:
            yield response(aid, "Error", message="'Interface' not specified.")
            return
        try:
            penalty = int(f.get("penalty") or 0)
        except ValueError:
            yield response(aid, "Error", message="Invalid penalty")
            return
        error = self.console.check_queue_add(queue, interface)
        if error:
            yield response(aid, "Error", message=error)
            return
        yield response(aid, message="Added interface to queue")
        self.console.queue_add(
            queue,
            interface,
            f.get("membername", ""),
            (penalty, ast_true(f.get("paused")), f.get("reason", "")),
            f.get("stateinterface", ""),
        )

    def _action_queueremove(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        queue, interface = f.get("queue", ""), f.get("interface", "")
        if not queue or not interface:
            yield response(aid, "Error", message="Need 'Queue' and 'Interface' parameters.")
            return
        error = self.console.check_queue_remove(queue, interface)
        if error:
            yield response(aid, "Error", message=error)
            return
        yield response(aid, message="Removed interface from queue")
        self.console.queue_remove(queue, interface)

    def _action_queuepause(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        interface, paused_s = f.get("interface", ""), f.get("paused", "")
        if not interface or not paused_s:
            yield response(aid, "Error", message="Need 'Interface' and 'Paused' parameters.")
            return
        paused = ast_true(paused_s)
        queue = f.get("queue") or None
        if not self.console.check_member(interface, queue):
            yield response(aid, "Error", message="Interface not found")
            return
        text = "Interface paused successfully" if paused else "Interface unpaused successfully"
        yield response(aid, message=text)
        self.console.queue_pause(interface, queue, paused, f.get("reason", ""))

    def _action_queuepenalty(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        interface, queue = f.get("interface", ""), f.get("queue") or None
        try:
            penalty = int(f.get("penalty", ""))
        except ValueError:
            penalty = -1
        if not interface or penalty < 0 or not self.console.check_member(interface, queue):
            yield response(aid, "Error", message="Invalid interface, queuename or penalty")
            return
        yield response(aid, message="Interface penalty set successfully")
        self.console.queue_penalty(interface, queue, penalty)

    # -- calls ---------------------------------------------------------------------------

    def _action_originate(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        channel = f.get("channel", "")
        if not channel:
            yield response(aid, "Error", message="Channel not specified")
            return
        exten, context = f.get("exten", ""), f.get("context", "")
        if not exten:
            yield response(aid, "Error", message="Exten not specified")
            return
        error = self.console.check_originate(channel, exten, context)
        if error:
            yield response(aid, "Error", message=error)
            return
        try:
            timeout_ms = int(f["timeout"]) if f.get("timeout") else None
        except ValueError:
            timeout_ms = None
        yield response(aid, message="Originate successfully queued")
        self.console.originate(
            channel,
            exten,
            context,
            f.get("callerid", ""),
            aid,
            variables=variables_of(headers),
            timeout_ms=timeout_ms,
            channel_ids=(f.get("channelid", ""), f.get("otherchannelid", "")),
        )

    def _channel_action(
        self, f: dict[str, str], aid: str | None, *, need_exten: bool
    ) -> tuple[str, str, str] | bytes:
        channel, exten, context = f.get("channel", ""), f.get("exten", ""), f.get("context", "")
        if not channel:
            return response(aid, "Error", message="No channel specified")
        if need_exten and not exten:
            return response(aid, "Error", message="No extension specified")
        if channel not in self.board.channels:
            return response(aid, "Error", message="Channel specified does not exist")
        return channel, exten, context

    def _action_blindtransfer(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        return self._transfer(f, aid, "Transfer succeeded", self.console.blind_transfer)

    def _action_atxfer(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        # The digits end at a `#`, as Asterisk's transfer digit collection does.
        digits = {**f, "exten": f.get("exten", "").removesuffix("#")}
        return self._transfer(
            digits, aid, "Atxfer successfully queued", self.console.attended_transfer, attended=True
        )

    def _transfer(
        self,
        f: dict[str, str],
        aid: str | None,
        accepted: str,
        transfer: Callable[[str, str, str], object],
        *,
        attended: bool = False,
    ) -> Iterator[bytes]:
        """A blind or attended transfer: Asterisk's answer first, then the calls move."""
        parsed = self._channel_action(f, aid, need_exten=True)
        if isinstance(parsed, bytes):
            yield parsed
            return
        error = self.console.check_transfer(parsed[0], attended=attended)
        if error:
            yield response(aid, "Error", message=error)
            return
        yield response(aid, message=accepted)
        transfer(*parsed)

    def _action_redirect(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        channel = f.get("channel", "")
        if not channel:
            yield response(aid, "Error", message="Channel not specified")
            return
        if channel not in self.board.channels:
            yield response(aid, "Error", message=f"Channel does not exist: {channel}")
            return
        exten, context = f.get("exten", ""), f.get("context", "")
        error = self.console.check_transfer(channel)
        if error or not exten:
            yield response(aid, "Error", message=error or "Redirect failed")
            return
        yield response(aid, message="Redirect successful")
        self.console.redirect(channel, exten, context)

    def _action_playdtmf(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        channel, digit = f.get("channel", ""), f.get("digit", "")
        if channel not in self.board.channels:
            yield response(aid, "Error", message="Channel not found")
            return
        if not digit:
            yield response(aid, "Error", message="No digit specified")
            return
        yield response(aid, message="DTMF successfully queued")
        if ast_true(f.get("receive")):
            self.console.key_received(channel, digit[0])

    def _action_cancelatxfer(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        channel = f.get("channel", "")
        if not channel:
            yield response(aid, "Error", message="No channel specified")
            return
        if channel not in self.board.channels:
            yield response(aid, "Error", message="Channel specified does not exist")
            return
        # Queued even when no consultation is under way (then nothing follows), as Asterisk does.
        yield response(aid, message="CancelAtxfer successfully queued")
        self.console.cancel_attended(channel)

    def _action_getvar(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        name, variable = f.get("channel", ""), f.get("variable", "")
        if not variable:
            yield response(aid, "Error", message="No variable specified")
            return
        value = ""
        if name:
            channel = self.board.channels.get(name)
            if channel is None:
                yield response(aid, "Error", message="No such channel")
                return
            value = channel.variables.get(variable, "")
        yield render_message(
            [("Response", "Success"), *_aid(aid), ("Variable", variable), ("Value", value)]
        )

    def _action_hangup(
        self, headers: Headers, f: dict[str, str], aid: str | None
    ) -> Iterator[bytes]:
        channel = f.get("channel", "")
        if not channel:
            yield response(aid, "Error", message="No channel specified")
            return
        if channel not in self.board.channels:
            yield response(aid, "Error", message="No such channel")
            return
        yield response(aid, message="Channel Hungup")
        self.console.hangup(channel)


def _aid(action_id: str | None) -> Headers:
    return [("ActionID", action_id)] if action_id is not None else []
