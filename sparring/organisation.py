"""An organisation: its content folder loaded (settings, scenarios, policies), its grader kinds and its compiled
policy engines. Everything that works on "the organisation" takes this type.

The content loader (content/loader.py) only reads YAML; this module hands it the grader registry and the entity
set it checks against, so content/ never imports the layers above it.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .content.loader import Content, load_content, load_policy_file, load_scenario_file
from .content.models import AnyScenario, Policy
from .content.problems import ContentError, Problem, suggest
from .grading.registry import Registry, load_registry
from .policy.entities import KNOWN_ENTITIES

if TYPE_CHECKING:  # the engine pulls in Presidio and spaCy: imported when the first engine is built
    from .policy.engine import PolicyEngine


@dataclass
class Organisation(Content):
    """The loaded content plus what the engine needs at run time."""

    registry: Registry = field(default_factory=Registry)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _engines: dict[str, PolicyEngine] = field(default_factory=dict, repr=False)

    # ---- look-ups used by the CLI and UI
    def scenario(self, ref: str) -> AnyScenario:
        """By id, or by path to a YAML file."""
        if ref in self.scenarios:
            return self.scenarios[ref]
        p = Path(ref)
        if p.suffix in (".yaml", ".yml") and p.exists():
            return load_scenario_file(p).valid()
        close = suggest(ref, self.scenarios)
        raise KeyError(f"no scenario '{ref}'" + (f"; did you mean '{close}'?" if close else
                                                 "; run `sparring validate` to list problems"))

    def policy(self, ref: str) -> Policy:
        if ref in self.policies:
            return self.policies[ref]
        p = Path(ref)
        if p.suffix in (".yaml", ".yml") and p.exists():
            pol = load_policy_file(p).valid()
            if not isinstance(pol, Policy):
                raise ContentError([Problem(str(p), 1, 1, "this is a policy test file, not a policy",
                                            "pass the policy file or its id")])
            return pol
        close = suggest(ref, self.policies)
        raise KeyError(f"no policy '{ref}'" + (f"; did you mean '{close}'?" if close else ""))

    def policy_engine(self, ref: str) -> PolicyEngine:
        """The compiled Presidio engine for a policy, built once per process and reused."""
        from .policy.engine import PolicyEngine

        pol = self.policy(ref)
        key = pol.id if ref in self.policies else f"file:{ref}"
        with self._lock:
            eng = self._engines.get(key)
            if eng is None:
                eng = self._engines[key] = PolicyEngine(pol)
            return eng

    def ok(self) -> bool:
        return not self.problems


def load_org(root: Path | str | None = None, paths: Iterable[Path] | None = None) -> Organisation:
    """Load everything under ROOT. With `paths`, only those files or folders are reported on, but policies and
    plugins of ROOT are still loaded so cross-references resolve."""
    root = Path(root or ".").resolve()
    registry = load_registry(root)
    org = Organisation(root=root, registry=registry)
    load_content(org, paths, kinds=registry, entities=KNOWN_ENTITIES)
    return org


@functools.lru_cache(maxsize=8)
def _cached_org(root: str) -> Organisation:
    return load_org(root)


def get_org(root: Path | str | None = None) -> Organisation:
    """The organisation for ROOT, loaded once per process (the app and the CLI share this)."""
    return _cached_org(str(Path(root or ".").resolve()))
