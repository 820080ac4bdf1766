"""The schema versions this build knows, read from its migration files' names.

The desk's quick start (ui/app.py) checks a file's schema with these before SQLAlchemy or
Alembic load, so this module imports neither.
"""

from __future__ import annotations

from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"


def known_revisions() -> list[str]:
    """Revision ids from the migration files' names (`0004_walk_in_queue.py` is 0004), in order.

    Opening a database that is already up to date then needs no Alembic import, which costs
    a tenth of a second of every start; a test checks this agrees with Alembic's own view.
    """
    # `[0-9]*_*.py` by hand: Path.glob and fnmatch compile their pattern on every start
    names = (p.name for p in VERSIONS_DIR.iterdir())
    wanted = (n for n in names if n[:1].isdigit() and "_" in n[1:] and n.endswith(".py"))
    return sorted(name.split("_", 1)[0] for name in wanted)
