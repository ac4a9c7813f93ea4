"""The FastAGI conversations recorded from Asterisk 22.10.1 in tests/fixtures/agi/, as bytes.

A recording's lines are `< text` (Asterisk to the server), `> text` (the server to Asterisk),
`<` or `>` alone for an empty line, and `# notes`; every line went over the wire with "\n".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RECORDINGS = Path(__file__).resolve().parent / "fixtures" / "agi"
FROM_ASTERISK, FROM_SERVER = "<", ">"


@dataclass(frozen=True)
class Recording:
    """One FastAGI conversation: each line with who sent it, in the order they were sent."""

    name: str
    notes: tuple[str, ...]
    lines: tuple[tuple[str, bytes], ...]

    def sent_by(self, who: str) -> bytes:
        """Every byte `who` (FROM_ASTERISK or FROM_SERVER) sent, in order."""
        return b"".join(line for sender, line in self.lines if sender == who)

    def request(self) -> bytes:
        """The `agi_*` block Asterisk opens with, up to and including its empty line."""
        block = self.sent_by(FROM_ASTERISK)
        return block[: block.index(b"\n\n") + 2]

    def header(self) -> dict[str, str]:
        """The request's `agi_*` fields (`agi_accountcode: ` gives an empty value)."""
        fields = {}
        for line in self.request().decode().splitlines():
            if line:
                key, _, value = line.partition(": ")
                fields[key] = value
        return fields

    def variables(self) -> dict[str, str]:
        """What the server's SET VARIABLE commands set, as Asterisk stores the values."""
        found = {}
        for sender, line in self.after_request():
            words = agi_words(line.decode().rstrip("\n"))
            if sender == FROM_SERVER and words[:2] == ["SET", "VARIABLE"]:
                found[words[2]] = words[3]
        return found

    def after_request(self) -> tuple[tuple[str, bytes], ...]:
        """The lines after the request: commands, replies and Asterisk's HANGUP."""
        blank = self.lines.index((FROM_ASTERISK, b"\n"))
        return self.lines[blank + 1 :]


def agi_words(command: str) -> list[str]:
    """`command` split as Asterisk's res_agi splits a command line (parse_args): blanks
    separate words outside double quotes, a backslash makes the next character literal."""
    words: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for char in command:
        if char == '"' and not escaped:
            quoted = not quoted
            if quoted and current is None:
                current = []
                words.append("")
        elif char in " \t" and not quoted and not escaped:
            if current is not None:
                words[-1] = "".join(current)
            current = None
        elif char == "\\" and not escaped:
            escaped = True
            continue
        else:
            if current is None:
                current = []
                words.append("")
            current.append(char)
        escaped = False
        if current is not None:
            words[-1] = "".join(current)
    return words


def load(name: str) -> Recording:
    """The recording `tests/fixtures/agi/<name>.txt`."""
    notes: list[str] = []
    lines: list[tuple[str, bytes]] = []
    for raw in (RECORDINGS / f"{name}.txt").read_text(encoding="utf-8").split("\n")[:-1]:
        if raw.startswith("#"):
            notes.append(raw[1:].strip())
            continue
        sender, text = raw[:1], raw[2:]
        if sender not in (FROM_ASTERISK, FROM_SERVER) or (len(raw) > 1 and raw[1] != " "):
            raise ValueError(f"{name}.txt: not a recorded line: {raw!r}")
        lines.append((sender, f"{text}\n".encode()))
    return Recording(name, tuple(notes), tuple(lines))


def names() -> list[str]:
    """Every recording's name."""
    return sorted(path.stem for path in RECORDINGS.glob("*.txt"))
