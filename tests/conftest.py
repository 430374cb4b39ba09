"""Shared fixtures. Heavy things (the sample organisation, its Presidio engines, the embedding model) load once
per test session: they are process-wide singletons behind `get_org` and the grading/policy modules."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# No egress (issue 7): from here on, for the whole suite, every non-loopback connection attempt is refused and
# fails the test that made it (tests/egress.py). Installed before any library under test is imported.
pytest.register_assert_rewrite("egress")
import egress  # noqa: E402

egress.install()
pytest_plugins = ["egress"]

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def org():
    """The shipped sample organisation (the repository root), loaded once."""
    from sparring.organisation import get_org

    o = get_org(REPO)
    assert not o.problems, "\n".join(map(str, o.problems))
    return o


@pytest.fixture
def org_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample organisation's content, for tests that break or add files."""
    for name in ("scenarios", "policies", "graders"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, tmp_path / name)
    return tmp_path
