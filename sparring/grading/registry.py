"""The registry of grader kinds: one door for built-in kinds and for an organisation's `graders/` plugins.

A kind is declared next to its code:

    class ContainsOptions(CriterionOptions):
        check: Literal["contains"]
        any: list[str] = []

    @register("contains", options=ContainsOptions, description="...", kinds={"frame"})
    def grade_contains(criterion: ContainsOptions, ctx: GradeContext) -> CriterionResult: ...

Plugins in ROOT/graders/*.py call the same `register`; while they are imported, `register` writes into that
organisation's registry (a copy of the built-ins), so two organisations in one process never share plugins.
"""

from __future__ import annotations

import contextvars
import importlib.util
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from pydantic import ConfigDict

from ..content.models import AnyScenario, Criterion
from .result import CriterionResult

if TYPE_CHECKING:
    from .context import GradeContext

SCENARIO_KINDS = frozenset({"frame", "spot", "trust"})


class CriterionOptions(Criterion):
    """Base for a kind's options model: the common criterion fields plus the kind's own, unknown keys refused.

    The methods below are the hooks a kind may override; each default is "nothing to add"."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def check_scenario(self, scenario: AnyScenario, org: Any) -> Iterable[tuple[str, tuple[str | int, ...]]]:
        """The kind's own checks of this criterion against its scenario, run by `sparring validate` and at load:
        (message, path of the offending key under the criterion, e.g. ("reference",)) per problem."""
        return ()

    def embedding_texts(self, scenario: AnyScenario) -> list[str]:
        """Authored texts the kind compares answers with by meaning; they join the attempt's one batched encode
        (semantic_engine.authored_texts)."""
        return []

    def threshold_in_force(self) -> float | None:
        """The threshold `sparring calibrate` tunes, as in force (its default when unset); None when this
        criterion has none. A kind registered with `has_threshold=True` overrides this and threshold_value()."""
        return None

    def threshold_value(self, ctx: GradeContext) -> tuple[float, bool]:
        """For one answer (an example, left out of its own evidence via ctx.leave_out): the value the threshold
        is compared with, and whether the criterion passes when the value is at or above it (False for a
        criterion that rules something out)."""
        raise NotImplementedError(f"grader kind '{self.check}' has a threshold but its options do not define "
                                  "threshold_value(ctx); define it so `sparring calibrate` can tune it")


@dataclass
class GraderKind:
    name: str
    options: type[CriterionOptions]
    grade: Callable[[Any, Any], CriterionResult]
    description: str
    kinds: frozenset[str] = SCENARIO_KINDS  # scenario kinds this grader applies to
    needs_model: bool = False  # needs an LLM configured in sparring.toml
    uses_embeddings: bool = False  # needs the local sentence-transformers model
    has_threshold: bool = False  # `sparring calibrate` tunes it (CriterionOptions.threshold_in_force/_value)
    source: str = "built-in"
    example: str = ""  # a YAML snippet for docs/authoring.md
    label: str = ""  # what learners see as a criterion's name when its author gave no `label` (feedback.label_for)

    def parse(self, raw: dict[str, Any]) -> CriterionOptions:
        return self.options.model_validate(raw)


class RegistryError(Exception):
    pass


@dataclass
class Registry:
    kinds: dict[str, GraderKind] = field(default_factory=dict)
    plugin_errors: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, message)

    def add(self, kind: GraderKind) -> None:
        if kind.name in self.kinds:
            other = self.kinds[kind.name]
            raise RegistryError(f"grader kind '{kind.name}' from {kind.source} is already registered by "
                                f"{other.source}; choose another name")
        if not issubclass(kind.options, CriterionOptions):
            raise RegistryError(f"grader kind '{kind.name}': options must subclass CriterionOptions")
        check = kind.options.model_fields.get("check")
        if check is None or kind.name not in str(check.annotation):
            raise RegistryError(f"grader kind '{kind.name}': its options model must declare "
                                f"`check: Literal['{kind.name}']`")
        bad = set(kind.kinds) - SCENARIO_KINDS
        if bad:
            raise RegistryError(f"grader kind '{kind.name}': unknown scenario kinds {sorted(bad)}")
        self.kinds[kind.name] = kind

    def get(self, name: str) -> GraderKind | None:
        return self.kinds.get(name)

    def names(self) -> list[str]:
        return sorted(self.kinds)

    def copy(self) -> "Registry":
        return Registry(dict(self.kinds), list(self.plugin_errors))


_BUILTINS = Registry()
_target: contextvars.ContextVar[Registry] = contextvars.ContextVar("sparring_registry_target", default=_BUILTINS)
_current_source: contextvars.ContextVar[str] = contextvars.ContextVar("sparring_registry_source",
                                                                      default="built-in")


def register(name: str, *, options: type[CriterionOptions], description: str,
             kinds: set[str] | frozenset[str] = SCENARIO_KINDS, needs_model: bool = False,
             uses_embeddings: bool = False, has_threshold: bool = False, example: str = "",
             label: str = "") -> Callable:
    """Declare a grader kind. Used by built-in kinds and by plugins in `graders/` alike."""

    def deco(fn: Callable[[Any, Any], CriterionResult]) -> Callable[[Any, Any], CriterionResult]:
        _target.get().add(GraderKind(name=name, options=options, grade=fn, description=description,
                                     kinds=frozenset(kinds), needs_model=needs_model,
                                     uses_embeddings=uses_embeddings, has_threshold=has_threshold,
                                     source=_current_source.get(), example=example, label=label))
        return fn

    return deco


def builtin_registry() -> Registry:
    from . import kinds  # noqa: F401  (importing registers the built-in kinds)

    return _BUILTINS


def load_registry(root: Path | None) -> Registry:
    """Built-in kinds plus the plugins in ROOT/graders/*.py. A plugin that fails to import is reported with
    its file and line (in `plugin_errors`), never raised, so one broken plugin does not take the app down."""
    reg = builtin_registry().copy()
    gdir = (root / "graders") if root else None
    if not gdir or not gdir.is_dir():
        return reg
    for path in sorted(gdir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        modname = f"sparring_plugins.{path.parent.parent.name}.{path.stem}".replace("-", "_")
        t1, t2 = _target.set(reg), _current_source.set(str(path))
        try:
            spec = importlib.util.spec_from_file_location(modname, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[modname] = module
            spec.loader.exec_module(module)
        except Exception as e:  # noqa: BLE001 - reported with location, see docstring
            line = 1
            for frame in traceback.extract_tb(e.__traceback__):
                if frame.filename == str(path):
                    line = frame.lineno or 1
            if isinstance(e, SyntaxError) and e.lineno:
                line = e.lineno
            reg.plugin_errors.append((str(path), line, f"{type(e).__name__}: {e}"))
        finally:
            _target.reset(t1)
            _current_source.reset(t2)
    return reg
