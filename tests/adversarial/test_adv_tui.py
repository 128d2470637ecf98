"""Issue 16, TUI ctrl+e: whatever is planted at the predictable export name is left alone, through the real
Textual app (Pilot) and the real offline agent on the demo store.

A directory, a FIFO, a symlink to a directory, a symlink loop, a symlink to /dev/null, a read-only file or
a hard link to a file elsewhere may sit at the name: the export never opens it (O_EXCL|O_NOFOLLOW), writes
a new regular 0600 file at the next free name, and says where.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.integration.test_tui_export import SPEND_CSV, SPEND_QUESTION, app_for, ask_and_export, read_csv, run


def _directory(at: Path, outside: Path) -> None:
    at.mkdir()


def _fifo(at: Path, outside: Path) -> None:
    os.mkfifo(at)


def _link_to_directory(at: Path, outside: Path) -> None:
    at.symlink_to(outside)


def _link_loop(at: Path, outside: Path) -> None:
    at.symlink_to(at)


def _link_to_dev_null(at: Path, outside: Path) -> None:
    at.symlink_to("/dev/null")


def _read_only_file(at: Path, outside: Path) -> None:
    at.write_text("keep me\n")
    at.chmod(0o400)


def _hard_link(at: Path, outside: Path) -> None:
    victim = outside / "victim.txt"
    victim.write_text("keep me\n")
    os.link(victim, at)


PLANTED: dict[str, Callable[[Path, Path], None]] = {
    "directory": _directory, "fifo": _fifo, "symlink-to-directory": _link_to_directory, "symlink-loop": _link_loop,
    "symlink-to-dev-null": _link_to_dev_null, "read-only-file": _read_only_file, "hard-link": _hard_link,
}


def _state(p: Path) -> tuple:
    st = os.lstat(p)
    content = p.read_bytes() if stat.S_ISREG(st.st_mode) else b""
    return st.st_mode, st.st_ino, content, os.readlink(p) if p.is_symlink() else None


@pytest.mark.parametrize("kind", list(PLANTED))
def test_what_is_planted_at_the_export_name_is_left_alone(demo_db: Path, tmp_path: Path, kind: str) -> None:
    exports, outside = tmp_path / "exports", tmp_path / "outside"
    exports.mkdir()
    outside.mkdir()
    planted = exports / SPEND_CSV
    PLANTED[kind](planted, outside)
    before, outside_before = _state(planted), sorted(p.name for p in outside.iterdir())
    app = app_for(demo_db, exports, f"planted-{kind}")

    async def script(pilot: Pilot) -> None:
        await ask_and_export(pilot, SPEND_QUESTION)

    run(app, script)
    assert _state(planted) == before
    assert sorted(p.name for p in outside.iterdir()) == outside_before
    written = exports / SPEND_CSV.replace(".csv", "-2.csv")
    st = os.lstat(written)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    columns, rows = read_csv(written)
    assert columns[0] == "team" and rows
    assert any(str(written) in message for message, _ in app.notices)
