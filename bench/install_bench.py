"""Cold install: a fresh virtualenv made with the Python's bundled pip, no pip cache, the README's install command.

Proves the install is the lock on the oldest pip we support (the bundled one: 23.2.1 on Python 3.11.7):
`pip check` passes and `pip freeze` equals requirements.lock for every package the lock names. Writes the
timings to docs/benchmarks.md ("## Install").

    python bench/install_bench.py [--keep DIR]

Needs the package registries (it downloads every locked file again: no cache). Takes several minutes.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchdoc import write_section

REPO = Path(__file__).resolve().parent.parent


def readme_install_command() -> str:
    """The README's install command (the line tests/test_security_supply_chain.py holds .ci/run to)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Two commands"):]
    block = section[section.index("```bash") + len("```bash"):]
    return next(ln.strip() for ln in block[:block.index("```")].splitlines() if "pip install" in ln)


def locked_versions() -> dict[str, str]:
    text = (REPO / "requirements.lock").read_text(encoding="utf-8")
    return {_canon(m[1]): m[2] for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.M)}


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def freeze(python: Path) -> dict[str, str]:
    out = subprocess.run([str(python), "-m", "pip", "freeze", "--all"], capture_output=True, text=True,
                         check=True).stdout
    return {_canon(a): b for a, _, b in (ln.partition("==") for ln in out.splitlines()) if b}


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="build the virtualenv here and keep it (default: a temporary folder)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sparring-install-"))
    venv = work / "venv"
    # A clone of the committed tree, so the bench installs what CI would (not untracked files of this checkout).
    tree = work / "tree"
    shutil.rmtree(tree, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(REPO), str(tree)], check=True)
    env = {**os.environ, "PIP_NO_CACHE_DIR": "1"}
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(venv)
    python = venv / "bin" / "python"
    bundled_pip = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, text=True,
                                 check=True).stdout.split()[1]
    command = readme_install_command()
    t1 = time.monotonic()
    subprocess.run(command, shell=True, cwd=tree, env=env, check=True)
    t2 = time.monotonic()
    check = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True, env=env)
    installed = freeze(python)
    lock = locked_versions()
    differ = sorted(f"{n}: locked {v}, installed {installed.get(n, 'none')}" for n, v in lock.items()
                    if installed.get(n) != v)
    # Import the heavy parts once, as the app's first start does, so "ready to run" is measured too.
    t3 = time.monotonic()
    subprocess.run([str(python), "-c", "import sparring.ui.app, sparring.policy.engine, sparring.grading.embeddings"],
                   cwd=tree, env=env, check=True)
    t4 = time.monotonic()
    ok = check.returncode == 0 and not differ
    print(check.stdout.strip())
    for d in differ:
        print("DIFFERS", d)
    text = f"""## Install

Cold install, measured by `bench/install_bench.py` on {date.today().isoformat()}: {cpu_model()}, {os.cpu_count()} cores,
Python {platform.python_version()}. A fresh virtualenv made with the Python's bundled pip ({bundled_pip}), no pip cache
(`PIP_NO_CACHE_DIR=1`: every file downloaded from the package registry again, torch from the machine's local wheel),
then the README's install command on a clean clone:

```
{command}
```

| step | seconds |
|---|---|
| virtualenv | {t1 - t0:.0f} |
| README install command | {t2 - t1:.0f} |
| first import of the app, policy engine and embeddings | {t4 - t3:.0f} |

`pip check`: {"no broken requirements" if check.returncode == 0 else "FAILED: " + check.stdout.strip()}.
`pip freeze --all` against requirements.lock: {"identical for all " + str(len(lock)) + " locked packages" if not differ else str(len(differ)) + " differ: " + "; ".join(differ)}.
"""
    write_section("## Install", text)
    print(text)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
