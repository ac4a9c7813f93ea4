"""A strict reader of Asterisk configuration files, as Asterisk's config parser reads them.

Only what the sample configuration may use is accepted, and anything else is an error
naming the file and line, so the samples cannot drift into shapes nobody checked:
`[section]`, `[name](!)` templates, `[name](tpl,...)` inheriting, `[name](+)` additions,
`key = value`, `key => value`, `#include`/`#tryinclude`, `;` comments (`\\;` is a literal
semicolon) and `;-- ... --;` block comments. The dialplan reading (`Dialplan`) knows
`exten =>` with `same =>` chains, `n` and labelled priorities, and `include =>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SECTION = re.compile(r"\[(?P<name>[^\[\]\s]+)\](?:\((?P<options>[^()]*)\))?$")
SETTING = re.compile(r"(?P<key>[A-Za-z_][\w.-]*)\s*=(?P<object>>)?\s*(?P<value>.*)$")
DIRECTIVE = re.compile(r"#(?P<verb>include|tryinclude)\s+(?P<target>\"[^\"]+\"|\S+)$")
PRIORITY = re.compile(r"(?P<number>[1-9]\d*|n)(?:\((?P<label>[A-Za-z_]\w*)\))?$")
APPLICATION = re.compile(r"(?P<app>[A-Za-z][\w]*)(?:\((?P<args>.*)\))?$")
# Asterisk runs these sections of extensions.conf as settings, not as contexts.
DIALPLAN_SETTINGS = frozenset({"general", "globals"})


class ConfigError(ValueError):
    """A line Asterisk would read differently, or not at all."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Setting:
    """One `key = value` (or `key => value`) line."""

    key: str
    value: str
    where: str
    is_object: bool = False


@dataclass
class Section:
    """A section with its settings, templates' first (as Asterisk copies them in)."""

    name: str
    where: str
    is_template: bool = False
    templates: tuple[str, ...] = ()
    settings: list[Setting] = field(default_factory=list)

    def values(self, key: str) -> list[str]:
        """Every value of `key`, in order."""
        return [setting.value for setting in self.settings if setting.key == key]

    def value(self, key: str) -> str | None:
        """The value Asterisk uses for a single-valued `key`: the last one."""
        values = self.values(key)
        return values[-1] if values else None


@dataclass
class ConfigFile:
    """The sections of one file (and the files it includes), templates resolved."""

    path: Path
    sections: dict[str, Section] = field(default_factory=dict)

    def section(self, name: str) -> Section:
        if name not in self.sections:
            raise KeyError(f"{self.path.name} has no section [{name}]")
        return self.sections[name]

    def instances(self) -> dict[str, Section]:
        """The sections that are not templates."""
        return {name: s for name, s in self.sections.items() if not s.is_template}


def strip_comment(line: str, in_block: bool) -> tuple[str, bool]:
    """`line` without comments; whether a `;--` block comment is still open after it."""
    kept: list[str] = []
    index = 0
    while index < len(line):
        if in_block:
            end = line.find("--;", index)
            if end < 0:
                return "".join(kept), True
            index, in_block = end + 3, False
            continue
        char = line[index]
        if char == "\\" and line.startswith(";", index + 1):
            kept.append(";")
            index += 2
        elif line.startswith(";--", index):
            in_block, index = True, index + 3
        elif char == ";":
            break
        else:
            kept.append(char)
            index += 1
    return "".join(kept), in_block


def load(path: Path) -> ConfigFile:
    """Read `path` as Asterisk would; ConfigError at the first line it would not take."""
    config = ConfigFile(path)
    _read_into(config, path, None, set())
    return config


def _read_into(
    config: ConfigFile, path: Path, current: Section | None, seen: set[Path]
) -> Section | None:
    """Read `path` into `config`; the section it ends in (an includer goes on there)."""
    if path in seen:
        raise ConfigError(str(path), "includes itself")
    seen = seen | {path}
    in_block = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path.name}:{number}"
        text, in_block = strip_comment(raw, in_block)
        line = text.strip()
        if not line:
            continue
        if line.startswith("#"):
            current = _directive(config, path, line, where, current, seen)
        elif line.startswith("["):
            current = _section(config, line, where)
        else:
            current = _setting(current, line, where)
    if in_block:
        raise ConfigError(path.name, "a ;-- block comment is never closed")
    return current


def _directive(
    config: ConfigFile, path: Path, line: str, where: str, current: Section | None, seen: set[Path]
) -> Section | None:
    match = DIRECTIVE.match(line)
    if match is None:
        raise ConfigError(where, f"unknown directive {line!r}")
    target = path.parent / match["target"].strip('"')
    if not target.exists():
        if match["verb"] == "tryinclude":
            return current
        raise ConfigError(where, f"#include of a missing file {target.name!r}")
    return _read_into(config, target, current, seen)


def _section(config: ConfigFile, line: str, where: str) -> Section:
    match = SECTION.match(line)
    if match is None:
        raise ConfigError(where, f"not a section header: {line!r}")
    name = match["name"]
    options = [o.strip() for o in (match["options"] or "").split(",") if o.strip()]
    if match["options"] is not None and not options:
        raise ConfigError(where, f"empty options in {line!r}")
    if "+" in options:
        if options != ["+"] or name not in config.sections:
            raise ConfigError(where, f"[{name}](+) adds to a section defined before, alone")
        return config.sections[name]
    if name in config.sections:
        raise ConfigError(where, f"[{name}] again (first at {config.sections[name].where})")
    is_template = "!" in options
    templates = tuple(o for o in options if o != "!")
    section = Section(name, where, is_template=is_template, templates=templates)
    for template in templates:
        base = config.sections.get(template)
        if base is None or not base.is_template:
            raise ConfigError(where, f"[{name}] inherits {template!r}, which is no template")
        section.settings.extend(base.settings)
    config.sections[name] = section
    return section


def _setting(current: Section | None, line: str, where: str) -> Section:
    match = SETTING.match(line)
    if match is None:
        raise ConfigError(where, f"not a setting: {line!r}")
    if current is None:
        raise ConfigError(where, "a setting before any section")
    value = match["value"].strip()
    current.settings.append(Setting(match["key"], value, where, match["object"] is not None))
    return current


# -- the dialplan -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One priority of an extension: `app(args)` at `number`, maybe with a label."""

    number: int
    label: str | None
    app: str
    args: str
    where: str


@dataclass
class Context:
    """A dialplan context: its extensions (pattern -> steps) and the contexts it includes."""

    name: str
    extensions: dict[str, list[Step]] = field(default_factory=dict)
    includes: list[str] = field(default_factory=list)

    def best_match(self, exten: str) -> str | None:
        """The extension Asterisk runs for `exten` here (includes not followed)."""
        matching = [name for name in self.extensions if matches(name, exten)]
        return min(matching, key=specificity) if matching else None


@dataclass
class Dialplan:
    """The contexts of extensions.conf, with its `[globals]`."""

    contexts: dict[str, Context]
    globals: dict[str, str]

    @classmethod
    def from_config(cls, config: ConfigFile) -> Dialplan:
        contexts = {
            name: _context(section)
            for name, section in config.instances().items()
            if name not in DIALPLAN_SETTINGS
        }
        globals_ = config.sections.get("globals")
        variables = {s.key: s.value for s in globals_.settings} if globals_ else {}
        return cls(contexts, variables)

    def find(self, context: str, exten: str) -> tuple[str, str]:
        """The context and extension pattern Asterisk runs for `exten@context`: the
        context's own best match, else the first included context's that has one."""
        if context not in self.contexts:
            raise KeyError(f"no context [{context}]")
        own = self.contexts[context].best_match(exten)
        if own is not None:
            return context, own
        for included in self.contexts[context].includes:
            try:
                return self.find(included, exten)
            except KeyError:
                continue
        raise KeyError(f"no extension takes {exten!r} in [{context}]")

    def route(self, context: str, exten: str) -> tuple[str, str]:
        """Where a call to `exten@context` gets to: the context and the first step that is
        not bookkeeping (`NoOp`, `Answer`, `Set`) or a plain `Goto`, as `App(args)` with
        `${EXTEN}` (and `${EXTEN:n}`) filled in. KeyError when nothing there takes it."""
        for _ in range(10):
            context, pattern = self.find(context, exten)
            for step in sorted(self.contexts[context].extensions[pattern], key=lambda s: s.number):
                args = fill_exten(step.args, exten)
                if step.app in BOOKKEEPING:
                    continue
                if step.app == "Goto" and args.count(",") == 2:
                    context, exten, _ = args.split(",")
                    break
                return context, f"{step.app}({args})"
            else:
                raise KeyError(f"[{context}] {pattern} ends without doing anything")
        raise KeyError(f"{exten!r} goes round in circles")

    def steps(self) -> list[tuple[Context, str, Step]]:
        """Every step of every extension, with its context and extension."""
        return [
            (context, exten, step)
            for context in self.contexts.values()
            for exten, steps in context.extensions.items()
            for step in steps
        ]


BOOKKEEPING = frozenset({"NoOp", "Answer", "Set"})


def fill_exten(text: str, exten: str) -> str:
    """`text` with `${EXTEN}` and `${EXTEN:n}` replaced as Asterisk would for `exten`."""

    def fill(match: re.Match[str]) -> str:
        return exten[int(match["offset"] or 0) :]

    return re.sub(r"\$\{EXTEN(?::(?P<offset>\d+))?\}", fill, text)


def _context(section: Section) -> Context:
    context = Context(section.name)
    last: str | None = None
    for setting in section.settings:
        if not setting.is_object:
            raise ConfigError(setting.where, f"{setting.key!r} in a context takes =>")
        if setting.key == "include":
            context.includes.append(setting.value)
        elif setting.key == "exten":
            exten, _, rest = setting.value.partition(",")
            if not exten or not rest:
                raise ConfigError(
                    setting.where, f"exten needs a pattern and a priority: {setting.value!r}"
                )
            _check_pattern(exten, setting.where)
            context.extensions.setdefault(exten, [])
            _add_step(context.extensions[exten], rest, setting.where)
            last = exten
        elif setting.key == "same":
            if last is None:
                raise ConfigError(setting.where, "same => before any exten =>")
            _add_step(context.extensions[last], setting.value, setting.where)
        else:
            raise ConfigError(setting.where, f"unknown dialplan line {setting.key!r}")
    return context


def _add_step(steps: list[Step], text: str, where: str) -> None:
    priority, _, application = text.partition(",")
    match = PRIORITY.match(priority.strip())
    if match is None:
        raise ConfigError(where, f"not a priority: {priority!r}")
    if match["number"] == "n":
        if not steps:
            raise ConfigError(where, "priority n with no priority before it")
        number = steps[-1].number + 1
    else:
        number = int(match["number"])
    if any(step.number == number for step in steps):
        raise ConfigError(where, f"priority {number} twice")
    label = match["label"]
    if label is not None and any(step.label == label for step in steps):
        raise ConfigError(where, f"label {label!r} twice")
    app = APPLICATION.match(application.strip())
    if app is None:
        raise ConfigError(where, f"not an application: {application!r}")
    steps.append(Step(number, label, app["app"], app["args"] or "", where))


# -- extension patterns -------------------------------------------------------------------

DIGITS = frozenset("0123456789")
CLASSES = {"X": DIGITS, "Z": frozenset("123456789"), "N": frozenset("23456789")}


def pattern_elements(pattern: str) -> list[frozenset[str] | str]:
    """A `_` pattern as sets of characters, `.` (one or more of anything) and `!` (zero
    or more); a plain extension as its own characters."""
    if not pattern.startswith("_"):
        return [frozenset(char) for char in pattern]
    elements: list[frozenset[str] | str] = []
    index = 1
    while index < len(pattern):
        char = pattern[index]
        if char.upper() in CLASSES:
            elements.append(CLASSES[char.upper()])
        elif char in ".!":
            elements.append(char)
        elif char == "[":
            end = pattern.index("]", index)
            elements.append(_char_set(pattern[index + 1 : end]))
            index = end
        else:
            elements.append(frozenset(char))
        index += 1
    return elements


def _char_set(body: str) -> frozenset[str]:
    chars: set[str] = set()
    index = 0
    while index < len(body):
        if index + 2 < len(body) and body[index + 1] == "-":
            chars.update(chr(c) for c in range(ord(body[index]), ord(body[index + 2]) + 1))
            index += 3
        else:
            chars.add(body[index])
            index += 1
    return frozenset(chars)


def _check_pattern(pattern: str, where: str) -> None:
    if "/" in pattern:
        raise ConfigError(where, f"caller-id matching is not used here: {pattern!r}")
    try:
        elements = pattern_elements(pattern)
    except ValueError:
        raise ConfigError(where, f"unclosed [ in pattern {pattern!r}") from None
    wild = [index for index, element in enumerate(elements) if isinstance(element, str)]
    if not elements or any(index != len(elements) - 1 for index in wild):
        raise ConfigError(where, f"'.' or '!' only at the end of a pattern: {pattern!r}")


def sample_exten(pattern: str) -> str:
    """An extension `pattern` matches: the lowest character of each element (twice for a
    trailing `.`)."""
    chosen: list[str] = []
    for element in pattern_elements(pattern):
        if isinstance(element, str):
            if element == "." and chosen:
                chosen.append(chosen[-1])
            continue
        chosen.append(min(element))
    return "".join(chosen)


def matches(pattern: str, exten: str) -> bool:
    """Whether `exten` matches the extension `pattern`, as Asterisk matches it."""
    elements = pattern_elements(pattern)
    for index, element in enumerate(elements):
        if element == ".":
            return len(exten) > index
        if element == "!":
            return True
        if index >= len(exten) or exten[index] not in element:
            return False
    return len(exten) == len(elements)


def specificity(pattern: str) -> tuple[tuple[int, int], ...]:
    """Asterisk's order among matching extensions: the smaller the first differing
    element's set, the more specific; a plain extension beats every pattern."""
    ranks: list[tuple[int, int]] = [(0 if not pattern.startswith("_") else 1, 0)]
    for element in pattern_elements(pattern):
        if element == ".":
            ranks.append((1, 1000))
        elif element == "!":
            ranks.append((1, 1001))
        else:
            ranks.append((0, len(element)))
    return tuple(ranks)
