"""Self-check over the registry of grader kinds, and the plugin door it shares with `graders/`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from sparring.organisation import load_org
from sparring.grading.registry import (CriterionOptions, GraderKind, Registry, RegistryError, builtin_registry,
                                       load_registry)

BUILTIN = builtin_registry()
REQUIRED_KINDS = {"policy", "contains", "regex", "semantic", "flags", "decision", "justification", "length",
                  "llm_judge", "python"}


def test_every_required_kind_is_registered():
    assert REQUIRED_KINDS <= set(BUILTIN.names())


@pytest.mark.parametrize("name", sorted(BUILTIN.names()))
def test_kind_is_declared_completely(name: str):
    kind = BUILTIN.get(name)
    assert kind.description and len(kind.description) > 20, "a kind needs a description authors can read"
    assert issubclass(kind.options, CriterionOptions)
    assert kind.kinds and kind.kinds <= {"frame", "spot", "trust"}
    # Every option field carries a description: it is what the JSON Schema shows in editors.
    for fname, field in kind.options.model_fields.items():
        assert field.description, f"{name}.{fname} has no description"
    # The documented example is a valid criterion of this kind.
    assert kind.example, f"{name} has no example"
    raw = yaml.safe_load(kind.example)[0]
    parsed = kind.parse(raw)
    assert parsed.check == name


def test_unknown_option_is_refused_with_the_field_name():
    kind = BUILTIN.get("contains")
    with pytest.raises(Exception) as e:
        kind.parse({"id": "x", "check": "contains", "any": ["a"], "anyy": ["b"]})
    assert "anyy" in str(e.value)


def test_registering_a_name_twice_is_refused():
    reg = Registry()
    kind = BUILTIN.get("length")
    reg.add(kind)
    with pytest.raises(RegistryError, match="already registered"):
        reg.add(GraderKind(name="length", options=kind.options, grade=kind.grade, description="again"))


def test_options_must_name_their_check_literal():
    reg = Registry()
    kind = BUILTIN.get("length")
    with pytest.raises(RegistryError, match="Literal"):
        reg.add(GraderKind(name="other", options=kind.options, grade=kind.grade, description="mismatched"))


def _plugin_org(tmp_path: Path, source: str) -> Path:
    (tmp_path / "graders").mkdir()
    (tmp_path / "graders" / "extra.py").write_text(textwrap.dedent(source))
    return tmp_path


def test_plugin_registers_through_the_same_door(tmp_path: Path):
    root = _plugin_org(tmp_path, """
        from typing import Literal
        from pydantic import Field
        from sparring.grading import CriterionOptions, CriterionResult, register

        class ShoutOptions(CriterionOptions):
            check: Literal["no_shouting"] = Field(description="No all-caps words.")

        @register("no_shouting", options=ShoutOptions, description="The answer has no words in capitals.",
                  example="- id: calm\\n  check: no_shouting")
        def grade(opts, ctx):
            loud = [w for w in ctx.text.split() if len(w) > 3 and w.isupper()]
            return CriterionResult(id=opts.id, passed=not loud, score=0.0 if loud else 1.0,
                                   feedback="calm" if not loud else f"shouting: {loud}")
        """)
    reg = load_registry(root)
    assert "no_shouting" in reg.names()
    assert reg.get("no_shouting").source.endswith("extra.py")
    # Plugins of one organisation never leak into the built-ins or another organisation.
    assert "no_shouting" not in builtin_registry().names()
    assert "no_shouting" not in load_registry(tmp_path / "elsewhere").names()


def test_broken_plugin_is_reported_with_file_and_line(tmp_path: Path):
    root = _plugin_org(tmp_path, """
        import os

        raise RuntimeError("cannot reach the claims system")
        """)
    org = load_org(root)
    msgs = [str(p) for p in org.problems]
    assert any("graders/extra.py:4:" in m and "cannot reach the claims system" in m for m in msgs), msgs
    assert set(BUILTIN.names()) <= set(org.registry.names())  # the built-ins still work


def test_a_plugin_kind_with_a_threshold_is_calibrated(tmp_path: Path):
    """`sparring calibrate` walks every kind registered with `has_threshold`, plugins alike, through the hooks the
    options base class declares (threshold_in_force, threshold_value); a kind without a threshold is skipped."""
    from sparring.grading.calibrate import calibrate

    root = _plugin_org(tmp_path, """
        from typing import Literal
        from pydantic import Field
        from sparring.grading import CriterionOptions, CriterionResult, register

        class WordyOptions(CriterionOptions):
            check: Literal["wordy"] = Field(description="Enough words.")
            threshold: float | None = Field(None, description="Share of 20 words needed.")

            def threshold_in_force(self):
                return 0.9 if self.threshold is None else self.threshold

            def threshold_value(self, ctx):
                return min(1.0, len(ctx.text.split()) / 20), True

        @register("wordy", options=WordyOptions, has_threshold=True, description="The answer has enough words.",
                  example="- id: wordy\\n  check: wordy")
        def grade(opts, ctx):
            value, _ = opts.threshold_value(ctx)
            ok = value >= opts.threshold_in_force()
            return CriterionResult(id=opts.id, passed=ok, score=value, feedback="ok" if ok else "say more")
        """)
    (root / "scenarios").mkdir()
    (root / "scenarios" / "wordy.yaml").write_text(textwrap.dedent("""\
        id: wordy-trust
        title: Laptop damaged abroad
        kind: trust
        roles: [customer-support]
        skills: [trust-calibration]
        workflow: Answering cover questions
        outcome: Checks the schedule before quoting a limit
        brief: A customer asks whether their laptop is covered abroad.
        output: Yes, gadgets are covered worldwide up to £3,000.
        decision: {expected: verify}
        rubric:
          pass: 0.5
          criteria:
            - id: decision
              check: decision
            - id: enough
              check: wordy
        examples:
          - name: ten words
            answer:
              decision: verify
              justification: "one two three four five six seven eight nine ten"
            expect: {passed: true, passed_criteria: [enough]}
          - name: four words
            answer: {decision: verify, justification: "one two three four"}
            expect: {passed: false, failed: [enough]}
        """), encoding="utf-8")
    org = load_org(root)
    assert not org.problems, org.problems
    (row,) = calibrate(org, org.scenarios["wordy-trust"])  # `decision` has no threshold: not a row
    assert (row.criterion, row.check, row.current, row.labelled) == ("enough", "wordy", 0.9, 2)
    assert [(v.example, v.value, v.should_pass) for v in row.values] == [("ten words", 0.5, True),
                                                                        ("four words", 0.2, False)]
    assert row.accuracy_current == 0.5 and row.accuracy_suggested == 1.0 and 0.2 < row.suggested <= 0.5


def test_the_hooks_are_declared_on_the_options_base_class():
    from sparring.content.models import TrustScenario

    class Plain(CriterionOptions):
        check: str = "plain"

    opts = Plain(id="p")
    sc = TrustScenario.model_construct()
    assert list(opts.check_scenario(sc, None)) == [] and opts.embedding_texts(sc) == []
    assert opts.threshold_in_force() is None
    with pytest.raises(NotImplementedError, match="threshold_value"):
        opts.threshold_value(None)  # type: ignore[arg-type]
