"""Console settings a call center tunes: pause reasons, dispositions, wrap-up time per queue."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from callcenter.settings import get_settings


class ConsoleSettings(BaseSettings):
    """Read from `CALLCENTER_CONSOLE_*` (lists and maps as JSON, e.g. `'["Break", "Lunch"]'`)."""

    model_config = SettingsConfigDict(
        env_prefix="CALLCENTER_CONSOLE_", env_file=None, extra="ignore"
    )

    pause_reasons: list[str] = Field(
        default_factory=lambda: ["Break", "Lunch", "Meeting", "Training", "Back office"]
    )
    dispositions: list[str] = Field(
        default_factory=lambda: [
            "Resolved",
            "Information given",
            "Ticket opened",
            "Callback promised",
            "Transferred",
            "Wrong number",
        ]
    )
    # Seconds of after-call work per queue; queues not listed get `wrap_up_default_s`.
    # 0 means no console wrap-up (the agent is available as soon as the call ends).
    wrap_up_s: dict[str, float] = Field(default_factory=dict)
    wrap_up_default_s: float = 30.0
    # Dialplan context for click-to-dial and transfers, and queue -> extension for transfers.
    # A transfer may name a queue listed here or one some user is a member of, nothing else.
    dial_context: str = "from-internal"
    queue_extensions: dict[str, str] = Field(default_factory=dict)
    # How many frames per agent are kept for consoles resuming after a reconnect.
    replay_frames: int = Field(default=256, ge=16, le=100_000)

    @property
    def wrap_up_reason(self) -> str:
        """The pause reason the PBX sees while an agent wraps up: how the console tells a
        wrap-up pause from a break. One setting (CALLCENTER_WRAP_UP_REASON) for the console
        and the CTI tracker, so the two can never disagree."""
        return get_settings().wrap_up_reason

    def wrap_up_for(self, queue: str | None) -> float:
        """The wrap-up time after a call from `queue`."""
        if queue is not None and queue in self.wrap_up_s:
            return self.wrap_up_s[queue]
        return self.wrap_up_default_s

    def queue_extension(self, queue: str) -> str:
        """The extension that puts a caller into a known `queue` (its name when not mapped)."""
        return self.queue_extensions.get(queue, queue)
