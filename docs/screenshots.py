"""`make screenshots`: every page of tests/browser/pages.py at 1280x720, as PNGs in
docs/screenshots/, and the README's "Screens" section listing them.

The app runs on a fresh SQLite database with the demo's data and today's calls, against the
simulated PBX, and Debian's chromium takes the pictures.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callcenter.db import make_engine, make_sessionmaker, upgrade  # noqa: E402
from tests.agent_ui.live_stack import live_stack  # noqa: E402
from tests.browser.pages import PAGES, Page, open_page  # noqa: E402
from tests.browser.showcase import seed_showcase  # noqa: E402
from tests.browser_tab import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

SHOTS = ROOT / "docs" / "screenshots"
README = ROOT / "README.md"
VIEWPORT: ViewportSize = {"width": 1280, "height": 720}
BEGIN, END = "<!-- screens: written by make screenshots -->", "<!-- /screens -->"


def shot_path(entry: Page) -> Path:
    return SHOTS / f"{entry.name}.png"


def screens_section() -> str:
    """The README's list of pictures, two to a row."""
    lines = [BEGIN, "", "| | |", "| --- | --- |"]
    cells = [
        f"![{entry.caption}](docs/screenshots/{entry.name}.png)<br>{entry.caption}"
        for entry in PAGES
    ]
    for left in range(0, len(cells), 2):
        pair = cells[left : left + 2] + [""] * (2 - len(cells[left : left + 2]))
        lines.append(f"| {pair[0]} | {pair[1]} |")
    return "\n".join([*lines, "", END])


def write_readme() -> None:
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no {BEGIN} ... {END} block to fill in")
    README.write_text(pattern.sub(lambda _: screens_section(), text), encoding="utf-8")


def shrink(png: Path) -> None:
    """Fewer colours, a third of the bytes, the same look (with pngquant, when installed)."""
    if shutil.which("pngquant") is None:
        return
    subprocess.run(
        ["pngquant", "--quality=60-90", "--speed=1", "--strip", "--force", "--output",
         str(png), str(png)],
        check=True,
    )  # fmt: skip


def take(names: set[str]) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        url = f"sqlite:///{folder}/callcenter.db"
        upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        showcase = seed_showcase(sessions)
        with live_stack(url, sessions, humans_logged_out=True) as stack, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            for entry in PAGES:
                context = browser.new_context(viewport=VIEWPORT)
                page = context.new_page()
                page.set_default_timeout(20_000)
                open_page(page, stack, showcase, entry)
                if not names or entry.name in names:
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(shot_path(entry)))
                    shrink(shot_path(entry))
                    print(f"{shot_path(entry).relative_to(ROOT)}: {entry.caption}")
                context.close()
            browser.close()
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these pages (default: every page)")
    args = parser.parse_args()
    unknown = set(args.names) - {entry.name for entry in PAGES}
    if unknown:
        parser.error(f"no such page: {', '.join(sorted(unknown))}")
    take(set(args.names))
    write_readme()
    return 0


if __name__ == "__main__":
    sys.exit(main())
