"""The one settings object, read from `CALLCENTER_*` environment variables."""

from __future__ import annotations

import re
from datetime import tzinfo
from functools import lru_cache
from typing import Annotated
from urllib.parse import unquote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/callcenter.db"
MIN_SECRET_KEY_LENGTH = 32
DEFAULT_WRAP_UP_REASON = "Wrap-up"


@lru_cache(maxsize=16)
def site_zone(name: str) -> tzinfo:
    """The IANA time zone `name` (e.g. Europe/Berlin); ValueError with one sentence for a
    name the zone database does not know."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"{name!r} is not a time zone: use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC"
        ) from None


class AmiTarget(BaseModel):
    """Where and as whom to reach an Asterisk Manager Interface."""

    host: str
    port: int = 5038
    username: str
    secret: str

    @property
    def server(self) -> str:
        """The PBX's name in call records when none is configured."""
        return self.host if self.port == 5038 else f"{self.host}:{self.port}"


def masked_url(url: str) -> str:
    """`url` fit for a message or a log: any password in it replaced by `***`."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        password = None
        parts = None
    if parts is None or password is None:
        # Unparseable, or no password where a URL keeps it: hide whatever stands between
        # "user:" and "@" all the same (`user:secret@host` without a scheme).
        return re.sub(r"(^|//)([^/:@\s]*):[^@/\s]*@", r"\1\2:***@", url)
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def parse_ami_url(url: str) -> AmiTarget:
    """Parse `ami://user:secret@host:5038`; raise ValueError with one clear sentence (the
    secret never appears in it)."""
    shown = masked_url(url)
    parts = urlsplit(url)
    if parts.scheme != "ami":
        raise ValueError(f"AMI URL must start with ami:// (got {shown!r})")
    if not parts.hostname:
        raise ValueError(f"AMI URL has no host: {shown!r}")
    if not parts.username or parts.password is None:
        raise ValueError(
            f"AMI URL needs user and secret, as ami://user:secret@host:5038: {shown!r}"
        )
    try:
        port = parts.port or 5038
    except ValueError as exc:
        raise ValueError(f"AMI URL has a bad port: {shown!r}") from exc
    return AmiTarget(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username),
        secret=unquote(parts.password),
    )


def parse_listen(text: str) -> tuple[str, int]:
    """`host:port` (`[::1]:4573` for IPv6) -> (host, port); ValueError in one sentence."""
    host, sep, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not host:port, e.g. 127.0.0.1:4573")
    return host, int(port)


class Settings(BaseSettings):
    """Deployment settings; every field is `CALLCENTER_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="CALLCENTER_", env_file=None, extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    ami_url: str | None = None
    pbx_name: str | None = None
    default_region: str = "US"
    # The channel a campaign's Originate dials the customer on; {number} is the E.164 number.
    dial_trunk: str = "PJSIP/{number}@trunk"
    # PBX seconds per real second: 1 for a real PBX; the simulated PBX's `--speed` when it runs
    # faster, so the dialer paces on the PBX's clock (its events' Timestamp headers).
    pbx_clock_speed: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] = 1.0
    # Signs session cookies. No default: unset, a SQLite deployment generates one and keeps
    # it beside its database; any other database refuses to start (callcenter.users.session_key).
    secret_key: SecretStr | None = None
    # Reverse proxies whose X-Forwarded-For/-Proto headers are believed: addresses or CIDR
    # ranges, comma-separated ("*" for any, only when the app port is reachable from the proxy
    # alone). Empty: none; the client is the TCP peer.
    trusted_proxies: str = ""
    # An abandon shorter than this (seconds in queue) is a short abandon: no callback.
    short_abandon_s: Annotated[float, Field(ge=0)] = 5.0
    # KPI thresholds: service-level T, the share of calls to answer within it, and per-queue
    # fallbacks as JSON, e.g. '{"billing": {"service_level_s": 30}}' (a queue's record and
    # the PBX's servicelevel come first: see kpi.thresholds).
    service_level_s: Annotated[float, Field(gt=0)] = 20.0
    service_level_target: Annotated[float, Field(gt=0, le=1)] = 0.8
    queue_thresholds: dict[str, dict[str, float]] = Field(default_factory=dict)
    # The PBX pause reason that means after-call work: the console pauses agents with it
    # after each call, and the CTI tracker records such a pause as the wrap-up state,
    # attributed to the call it follows. (Asterisk's own queue `wrapuptime` produces no AMI
    # event, so it cannot be seen.)
    wrap_up_reason: Annotated[str, Field(min_length=1)] = DEFAULT_WRAP_UP_REASON
    # Wallboard alerts: longest current wait and a pause held past these many seconds.
    alert_longest_wait_s: Annotated[float, Field(gt=0)] = 60.0
    alert_pause_s: Annotated[float, Field(gt=0)] = 900.0
    # Open websockets check their session or token again this often (a sign-out or a
    # revocation made in this process closes them at once; one by the CLI within this).
    session_recheck_s: Annotated[float, Field(gt=0)] = 30.0
    # At most one wallboard push per this many seconds (only when something changed).
    wallboard_push_s: Annotated[float, Field(gt=0)] = 1.0
    # Business minutes within which an abandoned caller is owed a call back.
    callback_due_minutes: Annotated[int, Field(ge=0)] = 30
    # The queue of the callback campaign (created with the first callback; unset: the
    # default queue). Its agents work the callbacks the center owes.
    callback_queue: Annotated[str | None, Field(pattern=r"^[A-Za-z0-9_.\-]{1,128}$")] = None
    # "Call me back" from the company's web site (POST /api/callback-requests): the tokens
    # the site's pages send, comma-separated (no default: unset, the endpoint is off); the
    # origins whose pages may call it from a browser (JSON list, e.g.
    # '["https://www.example.com"]'; none by default); requests allowed per number and per
    # client address within the window; how many days ahead a caller may ask for.
    web_callback_tokens: SecretStr | None = None
    web_callback_origins: list[str] = Field(default_factory=list)
    web_callback_limit_per_number: Annotated[int, Field(ge=1)] = 3
    web_callback_limit_per_ip: Annotated[int, Field(ge=1)] = 20
    web_callback_window_s: Annotated[float, Field(gt=0)] = 3600.0
    web_callback_max_days: Annotated[int, Field(ge=1, le=366)] = 14
    # A resolved ticket can be reopened for this many days, then a new ticket is needed.
    ticket_reopen_days: Annotated[int, Field(ge=0)] = 7
    # How often the SLA job looks for breached tickets.
    sla_check_interval_s: Annotated[float, Field(gt=0)] = 60.0
    # The agent console (`CALLCENTER_CONSOLE_*`; lists and maps as JSON, e.g.
    # '["Break", "Lunch"]'): the pause reasons and dispositions an agent picks from.
    console_pause_reasons: list[str] = Field(
        default_factory=lambda: ["Break", "Lunch", "Meeting", "Training", "Back office"]
    )
    console_dispositions: list[str] = Field(
        default_factory=lambda: [
            "Resolved",
            "Information given",
            "Ticket opened",
            "Callback promised",
            "Transferred",
            "Wrong number",
        ]
    )
    # Seconds of after-call work per queue; queues not listed get `console_wrap_up_default_s`.
    # 0 means no console wrap-up (the agent is available as soon as the call ends).
    console_wrap_up_s: dict[str, float] = Field(default_factory=dict)
    console_wrap_up_default_s: Annotated[float, Field(ge=0)] = 30.0
    # Dialplan context for click-to-dial and transfers, and queue -> extension for transfers.
    # A transfer may name a queue listed here or one some user is a member of, nothing else.
    console_dial_context: str = "console"
    console_queue_extensions: dict[str, str] = Field(default_factory=dict)
    # The in-call code of the console's Hold button: the `consolehold` feature of the PBX's
    # features.conf (docs/asterisk), keyed into the agent's leg. Empty: no Hold button.
    console_hold_keys: Annotated[str, Field(pattern=r"^[0-9*#]{0,8}$")] = "*6"
    # How many frames per agent are kept for consoles resuming after a reconnect.
    console_replay_frames: Annotated[int, Field(ge=16, le=100_000)] = 256
    # The site's time zone (IANA name): report days and intervals are cut in it, and report
    # pages and the command line show times in it.
    time_zone: str = "UTC"
    # Routing (README "Routing"): the queue for a number no queue has and for every call the
    # server cannot decide within 300 ms; `host:port` on which `serve` also runs the FastAGI
    # routing server (unset: it does not; `callcenter agi serve` runs it alone).
    default_queue: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,128}$")] = "support"
    agi_listen: str | None = None
    # Several processes (docs/deploy.md): `redis://[:password@]host:6379/0` puts the event bus,
    # the consoles' frames, the live state and the leases (one active adapter per PBX, one
    # scheduler) on Redis. Unset: everything lives in this one process.
    bus_url: str | None = None
    # Deployment (docs/deploy.md): `serve` and the other long-running commands bring the schema
    # up to date as they start; false leaves that to `callcenter db upgrade` in the deploy step
    # (several machines). PostgreSQL connections each process may hold: pool + overflow
    # (SQLite does not pool); keep processes x (pool + overflow) below max_connections.
    migrate_on_start: bool = True
    db_pool_size: Annotated[int, Field(ge=1, le=1000)] = 5
    db_max_overflow: Annotated[int, Field(ge=0, le=1000)] = 10

    @field_validator("ami_url")
    @classmethod
    def _check_ami_url(cls, value: str | None) -> str | None:
        if value:
            parse_ami_url(value)
        return value or None

    @field_validator("secret_key", mode="before")
    @classmethod
    def _check_secret_key(cls, value: object) -> object:
        if value is None or value == "":
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if len(text) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"CALLCENTER_SECRET_KEY needs at least {MIN_SECRET_KEY_LENGTH} characters "
                "(make one with `callcenter session-key generate`)"
            )
        return value

    @field_validator("web_callback_tokens", mode="before")
    @classmethod
    def _blank_tokens(cls, value: object) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text is None or (isinstance(text, str) and not text.replace(",", "").strip()):
            return None
        return value

    @field_validator("web_callback_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        origins = [origin.strip().rstrip("/") for origin in value if origin.strip()]
        for origin in origins:
            parts = urlsplit(origin)
            if origin != "*" and (
                parts.scheme not in ("http", "https") or not parts.netloc or parts.path
            ):
                raise ValueError(
                    f"{origin!r} is not a web origin: use scheme and host, such as "
                    "https://www.example.com"
                )
        return origins

    @property
    def web_callback_token_list(self) -> list[str]:
        """The tokens web pages may send with a callback request (none: the endpoint is off)."""
        if self.web_callback_tokens is None:
            return []
        tokens = self.web_callback_tokens.get_secret_value().split(",")
        return [token.strip() for token in tokens if token.strip()]

    @field_validator("time_zone")
    @classmethod
    def _check_time_zone(cls, value: str) -> str:
        site_zone(value)
        return value

    @field_validator("bus_url")
    @classmethod
    def _check_bus_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        scheme = urlsplit(value.strip()).scheme
        if scheme not in ("redis", "rediss", "unix"):
            raise ValueError(
                f"{masked_url(value)!r} is not a Redis URL: use redis://host:6379/0 "
                "(rediss:// for TLS, unix:///path/to/redis.sock)"
            )
        return value.strip()

    @property
    def distributed(self) -> bool:
        """Whether this process is one of several sharing a Redis bus."""
        return self.bus_url is not None

    @field_validator("agi_listen")
    @classmethod
    def _check_agi_listen(cls, value: str | None) -> str | None:
        if value:
            parse_listen(value)
        return value or None

    @field_validator("dial_trunk")
    @classmethod
    def _check_dial_trunk(cls, value: str) -> str:
        try:
            channel = value.format(number="+15550100")
        except (KeyError, IndexError, ValueError):
            raise ValueError(
                "the dial trunk may name only {number}, e.g. PJSIP/{number}@trunk"
            ) from None
        if "{number}" not in value or "/" not in channel or any(c in value for c in "\r\n"):
            raise ValueError(
                "the dial trunk is a channel with {number} in it, e.g. PJSIP/{number}@trunk"
            )
        return value

    @field_validator("default_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        return value.upper()

    def wrap_up_for(self, queue: str | None) -> float:
        """The console's wrap-up time after a call from `queue`."""
        if queue is not None and queue in self.console_wrap_up_s:
            return self.console_wrap_up_s[queue]
        return self.console_wrap_up_default_s

    def queue_extension(self, queue: str) -> str:
        """The extension that puts a caller into a known `queue` (its name when not mapped)."""
        return self.console_queue_extensions.get(queue, queue)

    @property
    def zone(self) -> tzinfo:
        """The site's time zone, in which reports cut days and intervals."""
        return site_zone(self.time_zone)

    @property
    def ami(self) -> AmiTarget | None:
        """The parsed AMI target, or None when no PBX is configured."""
        return parse_ami_url(self.ami_url) if self.ami_url else None

    @property
    def server(self) -> str:
        """The PBX name written on call records (`pbx_name`, else the AMI host, else 'pbx')."""
        if self.pbx_name:
            return self.pbx_name
        ami = self.ami
        return ami.server if ami else "pbx"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
