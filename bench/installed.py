"""An installed titrate to measure: a wheel of this checkout in a temporary venv.

An editable install measures the wrong thing: with PYTHONDONTWRITEBYTECODE=1 (set on the
machines this was written on) its modules are compiled again on every run, which alone
moves the start-up ratio by 0.3-0.8x. So the bench builds a wheel, installs it without
its dependencies into a venv of its own that finds them in the running interpreter's
site-packages (a .pth file), and byte-compiles it with that variable unset.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def install(folder: Path, checkout: Path = CHECKOUT) -> Path:
    """Build and install titrate from `checkout` into a venv in `folder`; its python."""
    wheels = folder / "wheels"
    _quiet([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
            str(checkout)])  # fmt: skip
    (wheel,) = wheels.glob("titrate-*.whl")
    home = folder / "venv"
    venv.create(home, with_pip=False, symlinks=os.name != "nt")
    python = home / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(
        _quiet([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    )
    # The dependencies (typer, pydantic, ...) of the interpreter running the bench.
    ours = sysconfig.get_paths()["purelib"]
    (site / "_titrate_bench_dependencies.pth").write_text(ours + "\n", encoding="utf-8")
    _quiet([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
            "--no-index", "-q", str(wheel)])  # fmt: skip
    compiling = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    _quiet([str(python), "-m", "compileall", "-q", str(site / "titrate")], env=compiling)
    return python


def script(python: Path) -> Path:
    """The `titrate` console script installed beside `python`."""
    return python.with_name("titrate.exe" if os.name == "nt" else "titrate")


def _quiet(argv: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()
