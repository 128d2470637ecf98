"""Save an SVG screenshot of the chat after asking some questions (for docs/tui.png).

    python -m apps.tui.screenshot --db demo.duckdb --size 100x32 --out tui.svg "How much did each team spend last month?"

Convert to PNG offline, e.g. `chromium --headless --screenshot=docs/tui.png --window-size=W,H tui.svg`
(W,H: the SVG's viewBox size) or `rsvg-convert tui.svg -o docs/tui.png`.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from apps.tui.app import ChatApp


async def capture(db: Path, questions: list[str], size: tuple[int, int], out: Path, session_id: str) -> None:
    app = ChatApp(db=db, session_id=session_id, planner="offline")
    async with app.run_test(size=size) as pilot:
        for question in questions:
            app.ask(question)
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)
        app.save_screenshot(out.name, path=str(out.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="+")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("tui.svg"))
    parser.add_argument("--size", default="100x32", help="WIDTHxHEIGHT in cells")
    parser.add_argument("--session", default="docs")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    asyncio.run(capture(args.db, args.questions, (width, height), args.out.resolve(), args.session))
    print(args.out)


if __name__ == "__main__":
    main()
