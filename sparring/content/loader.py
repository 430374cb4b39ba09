"""Load an organisation's content folder: scenarios/, policies/, graders/, sparring.toml.

Every problem in every file is collected (never stop at the first), each pointing at the YAML node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import AbstractSet, Any, Generic, Iterable, Protocol, TypeVar, cast

from pydantic import TypeAdapter, ValidationError

from ..config import Settings, load_settings
from .models import (ANSWER_MODELS, AnyScenario, Criterion, FrameScenario, Policy, PolicyTestFile, Scenario,
                     ScenarioBase, SpotAnswer, SpotScenario, TrustAnswer, TrustScenario)
from .problems import ContentError, Problem, did_you_mean, from_validation_error, rel
from .yamlsrc import MAX_BYTES, Source, YamlError, parse

SCENARIO_ADAPTER: TypeAdapter[AnyScenario] = TypeAdapter(Scenario)
T = TypeVar("T")


@dataclass
class Loaded(Generic[T]):
    """One parsed file: the object (or None when invalid), its source positions and its problems."""

    path: Path
    obj: T | None
    src: Source | None
    problems: list[Problem]

    def valid(self) -> T:
        """The object; ContentError with every problem when the file did not validate."""
        if self.obj is None:
            raise ContentError(self.problems)
        return self.obj


AnyLoaded = Loaded[AnyScenario] | Loaded[Policy | PolicyTestFile]


def _read(path: Path, shown: str, max_bytes: int = MAX_BYTES) -> tuple[Source | None, list[Problem]]:
    try:
        if path.stat().st_size > max_bytes:  # checked before reading: a huge file must not be loaded into memory
            return None, [Problem(shown, 1, 1, f"file is larger than {max_bytes // 1000} kB",
                                  "split it into several files (an administrator can raise [limits] max_yaml_bytes "
                                  "in sparring.toml)")]
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        return None, [Problem(shown, 1, 1, f"file is not UTF-8 text ({e.reason} at byte {e.start})",
                              "save it as UTF-8")]
    except OSError as e:
        return None, [Problem(shown, 1, 1, f"cannot read file: {e.strerror}", "check the path and permissions")]
    try:
        return parse(text, max_bytes), []
    except YamlError as e:
        return None, [Problem(shown, e.line, e.col, e.message, e.hint)]


def load_scenario_file(path: Path, shown: str | None = None, max_bytes: int = MAX_BYTES) -> Loaded[AnyScenario]:
    shown = shown or str(path)
    src, problems = _read(path, shown, max_bytes)
    if src is None:
        return Loaded(path, None, None, problems)
    if not isinstance(src.data, dict):
        return Loaded(path, None, src, [Problem(shown, 1, 1, "a scenario file must be a YAML mapping (id:, title:, "
                                                "kind:, ...)", "see docs/authoring.md for a template")])
    kind = src.data.get("kind")
    kind = kind if isinstance(kind, str) else None  # `kind: {a: b}` must be a problem, not an unhashable crash
    try:
        obj = SCENARIO_ADAPTER.validate_python(src.data)
    except ValidationError as e:
        roots: dict[str | None, type[ScenarioBase]] = {"frame": FrameScenario, "spot": SpotScenario,
                                                        "trust": TrustScenario}
        root = roots.get(kind, ScenarioBase)
        return Loaded(path, None, src, from_validation_error(e, src, shown, root,
                                                             strip_tag=kind in ("frame", "spot", "trust")))
    return Loaded(path, obj, src, [])


def load_policy_file(path: Path, shown: str | None = None,
                     max_bytes: int = MAX_BYTES) -> Loaded[Policy | PolicyTestFile]:
    shown = shown or str(path)
    src, problems = _read(path, shown, max_bytes)
    if src is None:
        return Loaded(path, None, None, problems)
    if not isinstance(src.data, dict):
        return Loaded(path, None, src, [Problem(shown, 1, 1, "a policy file must be a YAML mapping (id:, title:, "
                                                "entities:, ...)", "see docs/policies.md")])
    model: type[Policy] | type[PolicyTestFile] = (PolicyTestFile if "policy" in src.data and "id" not in src.data
                                                  else Policy)
    try:
        return Loaded(path, model.model_validate(src.data), src, [])
    except ValidationError as e:
        return Loaded(path, None, src, from_validation_error(e, src, shown, model))


class GraderKindSpec(Protocol):
    """What the loader needs of one grader kind (sparring.grading.registry.GraderKind)."""

    @property
    def kinds(self) -> frozenset[str]: ...  # scenario kinds it applies to

    @property
    def options(self) -> type[Criterion]: ...  # its options model, for locating validation errors

    def parse(self, raw: dict[str, Any]) -> Criterion: ...


class ScenarioChecks(Protocol):
    """The hook every kind's options model has: the registry refuses options that do not subclass
    sparring.grading.registry.CriterionOptions, which declares it with a default (content/ cannot import grading)."""

    def check_scenario(self, scenario: AnyScenario, org: Any) -> Iterable[tuple[str, tuple[str | int, ...]]]: ...


class GraderKinds(Protocol):
    """What the loader needs of the grader registry (sparring.grading.registry.Registry)."""

    @property
    def plugin_errors(self) -> list[tuple[str, int, str]]: ...  # (file, line, message)

    def get(self, name: str) -> GraderKindSpec | None: ...

    def names(self) -> list[str]: ...


@dataclass
class Content:
    """An organisation's content folder as loaded: what `load_content` fills in."""

    root: Path
    settings: Settings = field(default_factory=Settings)
    scenarios: dict[str, AnyScenario] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    files: dict[str, AnyLoaded] = field(default_factory=dict)  # id -> where it came from
    problems: list[Problem] = field(default_factory=list)


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_content(org: Content, paths: Iterable[Path] | None, *, kinds: GraderKinds,
                 entities: AbstractSet[str]) -> None:
    """Load everything under `org.root` into `org` (the organisation being built: a kind's own scenario checks
    receive it). `kinds` is the grader registry criteria are checked against; `entities` are the entity types a
    policy may name without a recognizer of its own. With `paths`, only those files or folders are reported on,
    but policies of ROOT are still loaded so cross-references resolve."""
    root = org.root
    problems: list[Problem] = []
    try:
        settings = load_settings(root)
    except ContentError as e:
        settings, problems = Settings(), list(e.problems)
    org.settings = settings
    for file, line, msg in kinds.plugin_errors:
        problems.append(Problem(rel(Path(file), root), line, 1, f"grader plugin failed to load: {msg}",
                                "fix the plugin; its grader kinds are unavailable until then"))

    policy_files = _yaml_files(root / "policies")
    scenario_files = _yaml_files(root / "scenarios")
    extra: list[Path] = []
    for p in paths or []:
        p = Path(p).resolve()
        files = _yaml_files(p) if p.is_dir() else [p]
        if not p.exists():
            problems.append(Problem(str(p), 1, 1, "no such file or folder", "check the path"))
        extra.extend(f for f in files if f not in policy_files and f not in scenario_files)
    # Files given explicitly are sorted into policies or scenarios by their content.
    for f in extra:
        try:
            head = f.read_text(encoding="utf-8", errors="replace")[:4000]
        except OSError:
            head = ""
        is_policy = "policies" in f.parts or any(ln.startswith(("entities:", "recognizers:", "allow_list:"))
                                                 for ln in head.splitlines())
        (policy_files if is_policy else scenario_files).append(f)

    for f in policy_files:
        loaded = load_policy_file(f, rel(f, root), settings.limits.max_yaml_bytes)
        problems.extend(loaded.problems)
        pol, src = loaded.obj, loaded.src
        if src is None:
            continue
        if isinstance(pol, Policy):
            if pol.id in org.policies:
                first = org.files[f"policy:{pol.id}"]
                problems.append(Problem(rel(f, root), *src.locate(("id",)),
                                        f"duplicate policy id '{pol.id}' (also in {rel(first.path, root)})",
                                        "policy ids must be unique; rename one"))
                continue
            org.policies[pol.id] = pol
            org.files[f"policy:{pol.id}"] = loaded
            problems.extend(_check_policy(pol, src, rel(f, root), entities))
        elif pol is not None:
            org.files[f"policytests:{rel(f, root)}"] = loaded
        else:  # still report unknown entities and duplicates, so one run shows all
            problems.extend(_raw_policy_problems(src, rel(f, root), loaded.problems, entities))
    for key, tests in list(org.files.items()):
        tfile, src = tests.obj, tests.src
        if not key.startswith("policytests:") or not isinstance(tfile, PolicyTestFile) or src is None:
            continue
        if tfile.policy not in org.policies:
            problems.append(_unknown_policy(tfile.policy, src, rel(tests.path, root), org))
        else:
            problems.extend(_check_test_entities(tfile, src, rel(tests.path, root), org.policies[tfile.policy],
                                                 entities))

    for f in scenario_files:
        scenario = load_scenario_file(f, rel(f, root), settings.limits.max_yaml_bytes)
        problems.extend(scenario.problems)
        sc, src = scenario.obj, scenario.src
        if src is None:
            continue
        if sc is None:  # still report broken references, so one run shows every problem
            problems.extend(_raw_references(src, rel(f, root), org, kinds))
            continue
        if sc.id in org.scenarios:
            first = org.files[f"scenario:{sc.id}"]
            problems.append(Problem(rel(f, root), *src.locate(("id",)),
                                    f"duplicate scenario id '{sc.id}' (also in {rel(first.path, root)})",
                                    "scenario ids must be unique across files; rename one"))
            continue
        cross = _check_scenario(sc, src, rel(f, root), org, kinds)
        problems.extend(cross)
        if not cross:
            org.scenarios[sc.id] = sc
            org.files[f"scenario:{sc.id}"] = scenario
    org.problems = problems


def _unknown_policy(pid: str, src: Source, shown: str, org: Content) -> Problem:
    known = ", ".join(sorted(org.policies)) or "none (add one under policies/)"
    return Problem(shown, *src.locate(("policy",)), f"unknown policy '{pid}'",
                   did_you_mean(pid, org.policies, f"known policies: {known}"))


def _unknown_kind(check: str, where: tuple, src: Source, shown: str, kinds: GraderKinds) -> Problem:
    return Problem(shown, *src.locate(where + ("check",)), f"unknown grader kind '{check}'",
                   did_you_mean(check, kinds.names(), f"registered kinds: {', '.join(kinds.names())}"))


def _unknown_entity(ent: str, own: set, src: Source, shown: str, entities: AbstractSet[str]) -> Problem:
    return Problem(shown, *src.locate(("entities", ent), key=True), f"unknown entity '{ent}'",
                   did_you_mean(ent, list(entities) + [o for o in own if isinstance(o, str)],
                                "use a Presidio entity type or add a recognizer for it under `recognizers:`"))


def _raw_references(src: Source, shown: str, org: Content, kinds: GraderKinds) -> list[Problem]:
    """Policy id and grader kinds of a scenario whose structure did not validate."""
    out: list[Problem] = []
    data = src.data if isinstance(src.data, dict) else {}
    pid = data.get("policy")
    if isinstance(pid, str) and pid not in org.policies:
        out.append(_unknown_policy(pid, src, shown, org))
    crits = data["rubric"].get("criteria") if isinstance(data.get("rubric"), dict) else None
    for i, c in enumerate(crits if isinstance(crits, list) else []):
        check = c.get("check") if isinstance(c, dict) else None
        if isinstance(check, str) and kinds.get(check) is None:
            out.append(_unknown_kind(check, ("rubric", "criteria", i), src, shown, kinds))
    return out


def _raw_policy_problems(src: Source, shown: str, already: list[Problem],
                         entities: AbstractSet[str]) -> list[Problem]:
    """Cross-checks of a policy whose structure did not validate: unknown entities, duplicate recognizers."""
    data = src.data if isinstance(src.data, dict) else {}
    if "policy" in data and "id" not in data:
        return []  # a policy test file
    recs: list[Any] = data["recognizers"] if isinstance(data.get("recognizers"), list) else []
    own = {r.get("entity") for r in recs if isinstance(r, dict)}
    out: list[Problem] = []
    ents: dict[Any, Any] = data["entities"] if isinstance(data.get("entities"), dict) else {}
    for ent in ents:
        if isinstance(ent, str) and ent not in entities and ent not in own:
            out.append(_unknown_entity(ent, own, src, shown, entities))
    if not any("defined twice" in p.message for p in already):
        seen: set[str] = set()
        for i, r in enumerate(recs):
            if not isinstance(r, dict):
                continue
            key = r.get("name") or r.get("entity")
            if isinstance(key, str) and key in seen:
                out.append(Problem(shown, *src.locate(("recognizers", i, "name" if r.get("name") else "entity"),
                                                      key=True),
                                   f"recognizer '{key}' is defined twice",
                                   "merge the patterns into one recognizer or give each a distinct `name`"))
            if isinstance(key, str):  # a malformed name (a list, say) is reported by validation, not here
                seen.add(key)
    return out


def _check_test_entities(tfile: PolicyTestFile, src: Source, shown: str, pol: Policy,
                         entities: AbstractSet[str]) -> list[Problem]:
    """Entities named by a policy test file must be ones its policy knows."""
    known = set(entities) | {r.entity for r in pol.recognizers} | set(pol.entities)
    out = []
    for i, t in enumerate(tfile.tests):
        for j, ent in enumerate(t.entities):
            if ent not in known:
                out.append(Problem(shown, *src.locate(("tests", i, "entities", j)),
                                   f"test expects unknown entity '{ent}'",
                                   did_you_mean(ent, known, "use an entity the policy knows")))
    return out


def _check_policy(pol: Policy, src: Source, shown: str, entities: AbstractSet[str]) -> list[Problem]:
    own = {r.entity for r in pol.recognizers}
    out = []
    for ent in pol.entities:
        if ent not in entities and ent not in own:
            out.append(_unknown_entity(ent, own, src, shown, entities))
    known = set(entities) | own
    for i, t in enumerate(pol.tests):
        for j, ent in enumerate(t.entities):
            if ent not in known:
                out.append(Problem(shown, *src.locate(("tests", i, "entities", j)),
                                   f"test expects unknown entity '{ent}'", "use an entity the policy knows"))
    return out


def _check_scenario(sc: AnyScenario, src: Source, shown: str, org: Content, kinds: GraderKinds) -> list[Problem]:
    out: list[Problem] = []
    if sc.policy and sc.policy not in org.policies:
        out.append(_unknown_policy(sc.policy, src, shown, org))
    for i, crit in enumerate(sc.rubric.criteria):
        where = ("rubric", "criteria", i)
        kind = kinds.get(crit.check)
        if kind is None:
            out.append(_unknown_kind(crit.check, where, src, shown, kinds))
            continue
        if sc.kind not in kind.kinds:
            out.append(Problem(shown, *src.locate(where + ("check",)),
                               f"grader kind '{crit.check}' does not apply to {sc.kind} scenarios",
                               f"it applies to: {', '.join(sorted(kind.kinds))}"))
            continue
        raw = crit.model_dump(by_alias=True, exclude_unset=True)
        raw.update(crit.options)
        try:
            opts = kind.parse(raw)
            sc.rubric.criteria[i] = opts  # keep the typed options: graders receive their own model
        except ValidationError as e:
            out.extend(from_validation_error(e, src, shown, kind.options, prefix=where))
            continue
        # the kind's own cross-checks against the scenario (e.g. sentence ids): CriterionOptions.check_scenario
        for msg, sub in cast(ScenarioChecks, opts).check_scenario(sc, org) or ():
            out.append(Problem(shown, *src.locate(where + tuple(sub)), msg))
    amodel = ANSWER_MODELS[sc.kind]
    ids = {s.id for s in sc.output} if isinstance(sc, SpotScenario) else set()
    crit_ids = {c.id for c in sc.rubric.criteria}
    for i, ex in enumerate(sc.examples):
        at = ("examples", i)
        try:
            ans = amodel.model_validate(ex.answer)
        except ValidationError as e:
            probs = from_validation_error(e, src, shown, amodel, prefix=at + ("answer",))
            out.extend(Problem(p.file, p.line, p.col, f"example answer for a {sc.kind} scenario: {p.message}", p.hint)
                       for p in probs)
            continue
        if isinstance(ans, SpotAnswer):
            for sid in ans.flags:
                if sid not in ids:
                    out.append(Problem(shown, *src.locate(at + ("answer", "flags", sid), key=True),
                                       f"example flags sentence '{sid}', which is not in `output`",
                                       did_you_mean(sid, ids, f"sentence ids: {', '.join(sorted(ids))}")))
        if isinstance(sc, TrustScenario) and isinstance(ans, TrustAnswer) and ans.decision not in sc.decision.options:
            out.append(Problem(shown, *src.locate(at + ("answer", "decision")),
                               f"example decision '{ans.decision}' is not one of the options",
                               f"options: {', '.join(sc.decision.options)}"))
        for key in ("failed", "passed_criteria"):
            for j, cid in enumerate(getattr(ex.expect, key)):
                if cid not in crit_ids:
                    out.append(Problem(shown, *src.locate(at + ("expect", key, j)),
                                       f"example expects unknown criterion '{cid}'",
                                       did_you_mean(cid, crit_ids, f"criteria: {', '.join(sorted(crit_ids))}")))
    return out
