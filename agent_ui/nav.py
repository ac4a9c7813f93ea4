"""The navigation bar every page shows: one list of entries, each for the roles it serves."""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.users.service import Role

ALL = frozenset(Role)
LEADS = frozenset({Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class NavEntry:
    label: str
    href: str
    roles: frozenset[Role]
    # Other pages the entry stands for (marked current there too).
    also: tuple[str, ...] = ()


# In the order the bar shows them; a new page is one line here.
NAV_ENTRIES = (
    NavEntry("Console", "/console", ALL),
    NavEntry("Tickets", "/desk/tickets", ALL),
    NavEntry("Customers", "/desk/customers", ALL),
    NavEntry("Callbacks", "/desk/callbacks", ALL),
    NavEntry("Wallboard", "/supervisor/wallboard", LEADS),
    NavEntry("Reports", "/supervisor/reports", LEADS),
    NavEntry("Staffing", "/supervisor/staffing", LEADS),
    NavEntry("Outbound", "/admin/campaigns", LEADS, also=("/admin/call-lists", "/admin/dnc")),
    NavEntry("API", "/docs", frozenset({Role.ADMIN})),
    NavEntry("Admin", "/admin", frozenset({Role.ADMIN})),
)


def nav_entries(role: str) -> list[NavEntry]:
    """The entries a user of `role` may open (an unknown role: none)."""
    return [entry for entry in NAV_ENTRIES if role in entry.roles]


def is_current(entry: NavEntry, path: str) -> bool:
    """Whether `path` is the entry's page or one below it, and no other entry's page is
    nearer (/admin/campaigns is Outbound's, not Admin's)."""
    mine = _nearness(entry, path)
    return mine > 0 and all(_nearness(other, path) <= mine for other in NAV_ENTRIES)


def _nearness(entry: NavEntry, path: str) -> int:
    """The length of the entry's longest page that `path` is or is below (0: none)."""
    pages = (entry.href, *entry.also)
    return max(
        (len(p) for p in pages if path == p or path.startswith(p.rstrip("/") + "/")), default=0
    )


def landing(role: str) -> str:
    """Where a user goes after sign-in: supervisors and admins the wallboard, agents the
    console."""
    return "/supervisor/wallboard" if role in LEADS else "/console"
