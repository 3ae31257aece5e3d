"""Every download the built site offers runs on its own, as a reader would run it.

After ``make html``, each downloaded notebook (tutorial pages and gallery examples) is executed with
``jupyter execute`` (a cell tagged ``raises-exception`` may fail, as on the site) and each
downloaded gallery script with ``python script.py``, from an empty temporary folder, with
``PYTHONPATH`` set to this checkout's root only: whatever a download imports must come from
``customgrad`` itself, never from the site's machinery (``docs/_ext``) or a helper file beside it.
The tutorials' ``.py`` downloads are the same cells as their notebooks (jupytext), so they are not
run a second time.

They all run at once in parallel processes (a module-scoped fixture); each file is then its own
test, reporting its own output.  Skipped when the English site has not been built.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOWNLOADS = ROOT / "_build" / "html" / "en" / "_downloads"
TIMEOUT = 900  # seconds per download; the verification matrix is the slowest (about a minute alone)

NOTEBOOKS = sorted(DOWNLOADS.rglob("*.ipynb")) if DOWNLOADS.is_dir() else []
SCRIPTS = sorted(p for p in DOWNLOADS.glob("*/plot_*.py")) if DOWNLOADS.is_dir() else []
FILES = NOTEBOOKS + SCRIPTS

pytestmark = pytest.mark.skipif(
    not FILES, reason="no built site: run `make html` first (this checks _build/html/en/_downloads)"
)


def command(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        jupyter = Path(sys.executable).with_name("jupyter")
        return [str(jupyter), "execute", "--timeout", str(TIMEOUT), str(path)]
    return [sys.executable, str(path)]


def run_alone(path: Path) -> tuple[int, str, float]:
    """Run one download from an empty folder; returns (exit code, output, seconds)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env.update(PYTHONPATH=str(ROOT), MPLBACKEND="Agg", OMP_NUM_THREADS="1")
    with tempfile.TemporaryDirectory(prefix="customgrad-download-") as tmp:
        start = time.perf_counter()
        # jupyter execute writes nothing unless --inplace/--output: the downloaded file stays as built.
        done = subprocess.run(
            command(path), cwd=tmp, env=env, capture_output=True, text=True, timeout=TIMEOUT + 60
        )
        return done.returncode, done.stdout + done.stderr, time.perf_counter() - start


@pytest.fixture(scope="module")
def results() -> dict[Path, tuple[int, str, float]]:
    workers = max(2, min(len(FILES), os.cpu_count() or 2))
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        out = dict(zip(FILES, pool.map(run_alone, FILES)))
    print(f"\n{len(FILES)} downloads in {time.perf_counter() - start:.0f} s with {workers} processes at a time:")
    for path, (_, _, seconds) in out.items():
        print(f"  {seconds:6.1f} s  {path.relative_to(DOWNLOADS)}")
    return out


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_download_runs_on_its_own(path: Path, results) -> None:
    code, output, seconds = results[path]
    assert code == 0, f"{path.relative_to(ROOT)} failed after {seconds:.0f} s:\n{output[-4000:]}"
