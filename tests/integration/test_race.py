"""Eight desks book the same slot at the same moment: one wins, seven are told who has it.

Each contender is a real `python -m medbookings_desktop ... book` process booking a different
patient into the same provider's same time. The processes start, import everything, say they
are ready and wait on stdin; the test releases them together by closing their stdin, so the
race is real without sleeps or timing. The database guard (SQLite: write lock up front and a
trigger; PostgreSQL: exclusion constraint) decides, and the losers name the winner.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from medbookings_desktop.domain.appointments import ACTIVE_STATUSES
from medbookings_desktop.services import patients
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import create_db_engine
from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import process_env, wall, weekday_ahead

CONTENDERS = 8

# Imports the command first, then waits for the starting signal (stdin closing), then runs
# exactly what `python -m medbookings_desktop ARGS` runs.
WRAPPER = """
import runpy, sys
import medbookings_desktop.cli  # noqa: F401  (imported before the start, not during the race)
print("ready", flush=True)
sys.stdin.read()
sys.argv = ["medbookings", *sys.argv[1:]]
runpy.run_module("medbookings_desktop", run_name="__main__", alter_sys=True)
"""


def _register_patients(clinic: SmallClinic) -> list[int]:
    ids = []
    for i in range(CONTENDERS):
        p = patients.register(clinic.ctx, first_name=f"Racer{i}", last_name="Contender")
        assert p.id is not None
        ids.append(p.id)
    return ids


def _contend(
    url: str, home: Path, argvs: list[list[str]], *, barrier: bool
) -> list[tuple[int, str, str]]:
    env = process_env(home)
    if barrier:
        commands = [[sys.executable, "-c", WRAPPER, *argv] for argv in argvs]
    else:
        commands = [[sys.executable, "-m", "medbookings_desktop", *argv] for argv in argvs]
    procs = [
        subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for command in commands
    ]
    try:
        if barrier:
            for proc in procs:
                assert proc.stdout is not None
                assert proc.stdout.readline() == "ready\n", proc.stderr
        for proc in procs:  # the starting signal, to all of them at once
            assert proc.stdin is not None
            proc.stdin.close()
        results = []
        for proc in procs:
            assert proc.stdout is not None and proc.stderr is not None
            out, err = proc.stdout.read(), proc.stderr.read()
            results.append((proc.wait(timeout=120), out, err))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()


@pytest.mark.slow
@pytest.mark.parametrize("barrier", [True, False], ids=["released-together", "plain-popen"])
def test_eight_processes_race_for_one_slot(
    clinic: SmallClinic, db_url: str, tmp_path: Path, barrier: bool
) -> None:
    patient_ids = _register_patients(clinic)
    start = wall(weekday_ahead(2), 10)  # a Wednesday, 10:00 in London
    book = ["book", "--provider", str(clinic.dr_a.id), "--service", str(clinic.consultation.id)]
    book += ["--start", start, "--json"]
    argvs = [
        ["--database", db_url, "--user", f"desk-{n}", *book, "--patient", str(pid)]
        for n, pid in enumerate(patient_ids)
    ]

    results = _contend(db_url, tmp_path / "home", argvs, barrier=barrier)

    winners = [(out, err) for code, out, err in results if code == 0]
    losers = [(code, err) for code, out, err in results if code != 0]
    assert len(winners) == 1, results
    winner = json.loads(winners[0][0])
    assert winner["status"] == "booked"
    assert len(losers) == CONTENDERS - 1
    for code, err in losers:
        assert code == 1, err
        assert "Traceback" not in err
        assert re.search(rf"appointment #{winner['id']}\b", err), err

    engine = create_db_engine(db_url)
    try:
        with engine.connect() as conn:
            a = t.appointments
            rows = conn.execute(
                select(a.c.id, a.c.patient_id, a.c.status).where(a.c.provider_id == clinic.dr_a.id)
            ).all()
            booked_audit = conn.execute(
                select(func.count()).select_from(t.audit_log).where(t.audit_log.c.action == "book")
            ).scalar_one()
            outbox_rows = conn.execute(select(func.count()).select_from(t.outbox)).scalar_one()
    finally:
        engine.dispose()
    active = {s.value for s in ACTIVE_STATUSES}
    assert [(r.id, r.patient_id) for r in rows if r.status in active] == [
        (winner["id"], winner["patient_id"])
    ]
    assert len(rows) == 1  # the losers left no row behind, not even a cancelled one
    assert winner["patient_id"] in patient_ids
    assert booked_audit == 1
    assert outbox_rows == len(winner["queued"])
