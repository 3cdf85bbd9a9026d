"""One session of a run (a first run or a resume), shared by every command.

Every command runs its loop the same way: the manifest says "running" while it works and
"interrupted" if anything stops it (Ctrl-C, SIGTERM, an error), and the journal is closed either
way so what was decided survives. Sessions add up into the manifest's timing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def run_session(loop: Any, journal: Any, write_manifest: Callable[[str], Any]) -> None:
    """Run `loop` (with `.run()` and `.progress`), marking the manifest running / interrupted."""
    write_manifest("running")
    try:
        loop.run()
    except BaseException:
        journal.close()
        write_manifest("interrupted")
        raise
    journal.close()
    loop.progress.close()


def timing(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    """The manifest's `timing`: every session and their total wall time."""
    return {"sessions": sessions, "wall_s": round(sum(s["seconds"] for s in sessions), 2)}
