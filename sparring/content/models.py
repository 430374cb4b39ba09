"""Typed models for every YAML shape an organisation writes: scenarios and policies.

Every model forbids unknown fields so a misspelt key is an error, not a silently ignored line, and every field
carries a description because the JSON Schema exported from these models is what editors show authors.
Grader-specific criterion options are validated by the grader kind's own options model (see
`sparring.grading.registry`); the loader maps those errors back to the YAML node as well.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

Slug = Annotated[
    str,
    Field(pattern=r"^[a-z0-9][a-z0-9-]*$", min_length=1, max_length=80,
          description="Lower-case letters, digits and hyphens, e.g. `support-delayed-claim`."),
]
Action = Literal["block", "redact", "warn", "allow"]
ACTION_ORDER: dict[str, int] = {"allow": 0, "warn": 1, "redact": 2, "block": 3}
Decision = Literal["use", "verify", "reject"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class At(ValueError):
    """A validation error that knows which node inside the validated object is at fault (e.g. the second
    `- id: s1`), so `sparring validate` points at that line instead of the start of the object."""

    def __init__(self, message: str, *path: str | int):
        super().__init__(message)
        self.path = path


# --------------------------------------------------------------------------------------------- rubric


class Feedback(Strict):
    pass_: str | None = Field(None, alias="pass", description="Shown when the criterion passes. `{placeholders}` "
                              "such as `{evidence}` and `{findings}` are filled in by the grader.")
    fail: str | None = Field(None, description="Shown when the criterion fails. Say what was missing and one "
                             "concrete next step; the grader's own specific text follows if this is omitted.")


class Criterion(BaseModel):
    """One rubric line. The fields below are common to every grader kind; the kind named by `check` adds its
    own options (for example `expect` for `semantic`), validated against that kind's options model."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: Slug = Field(description="Unique within the rubric; named in feedback, `sparring test` and insights.")
    check: str = Field(description="The grader kind, from the registry: policy, contains, regex, semantic, "
                       "flags, decision, justification, length, llm_judge, python, or an organisation plugin.")
    required: bool = Field(False, description="When true, failing this criterion fails the attempt whatever the "
                           "weighted score.")
    weight: float = Field(1.0, ge=0, le=100, description="Relative weight in the weighted score.")
    label: str | None = Field(None, description="Short human name learners see for this criterion, saying what a "
                              "good answer does (e.g. 'Names the 14-day deadline'). Without it a default for the "
                              "grader kind is shown (e.g. 'Keeps personal data out of the prompt'); never the id.")
    feedback: Feedback = Field(default_factory=Feedback, description="Per-criterion feedback templates.")

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Rubric(Strict):
    pass_mark: float = Field(0.8, alias="pass", ge=0, le=1, description="Weighted score (0..1) needed to pass; "
                             "any failed `required` criterion fails the attempt regardless.")
    criteria: list[Criterion] = Field(min_length=1, description="The criteria, graded in order.")

    @model_validator(mode="after")
    def _unique_ids(self) -> "Rubric":
        seen: set[str] = set()
        for i, c in enumerate(self.criteria):
            if c.id in seen:
                raise At(f"criterion id '{c.id}' is used twice in this rubric; give each criterion its own id",
                         "criteria", i, "id")
            seen.add(c.id)
        if sum(c.weight for c in self.criteria) <= 0:
            raise ValueError("all criteria have weight 0; give at least one criterion a positive weight")
        return self


# ------------------------------------------------------------------------------------------- answers


class FrameAnswer(Strict):
    prompt: str = Field(description="The prompt the learner would send to the AI tool.")


class SpotAnswer(Strict):
    flags: dict[str, str] = Field(default_factory=dict, description="Sentence id → why the learner thinks it is "
                                  "wrong.")


class TrustAnswer(Strict):
    decision: Decision = Field(description="use, verify or reject.")
    confidence: float = Field(0.75, ge=0.5, le=1.0, description="How sure the learner is of the decision, "
                              "0.5 (a guess) to 1.0 (certain).")
    justification: str = Field("", description="The reasons for the decision.")


AnyAnswer = FrameAnswer | SpotAnswer | TrustAnswer
ANSWER_MODELS: dict[str, type[FrameAnswer] | type[SpotAnswer] | type[TrustAnswer]] = {
    "frame": FrameAnswer, "spot": SpotAnswer, "trust": TrustAnswer}


class Example(Strict):
    """A labelled answer: the rubric's own test. `sparring test` grades it and compares."""

    name: str | None = Field(None, description="Short label shown by `sparring test`.")
    answer: dict[str, Any] = Field(description="An answer in the shape the scenario's kind requires "
                                   "(frame: {prompt}; spot: {flags}; trust: {decision, confidence, justification}).")
    expect: "ExampleExpect" = Field(description="What the rubric should decide for this answer.")


class ExampleExpect(Strict):
    passed: bool = Field(description="Whether the attempt should pass overall.")
    failed: list[str] = Field(default_factory=list, description="Criterion ids that must fail (others may pass or "
                              "fail unless listed in `passed_criteria`).")
    passed_criteria: list[str] = Field(default_factory=list, description="Criterion ids that must pass.")


# ------------------------------------------------------------------------------------------ scenario


class ReplyWhen(Strict):
    any: list[str] = Field(default_factory=list, description="The reply matches if the prompt mentions any of "
                           "these words or phrases (case-insensitive).")
    all: list[str] = Field(default_factory=list, description="…and all of these.")


class ScriptedReply(Strict):
    when: ReplyWhen | None = Field(None, description="Condition on the prompt; omit for the fallback reply.")
    text: str = Field(description="What the scripted assistant answers.")


class AssistantSpec(Strict):
    model: str = Field("scripted", description="`scripted` (offline, answers from `replies`) or a model alias "
                       "from sparring.toml `[models.ALIAS]`.")
    system: str | None = Field(None, description="System prompt for a real model.")
    replies: list[ScriptedReply] = Field(default_factory=list, description="Scripted replies, first match wins; "
                                         "the last one without `when` is the fallback.")


class Sentence(Strict):
    id: str = Field(min_length=1, max_length=40, description="Stable id the learner's flags refer to, e.g. s1.")
    text: str = Field(min_length=1, description="The sentence as the AI wrote it.")
    faulty: bool = Field(False, description="True when this sentence is wrong and should be flagged.")
    why: str | None = Field(None, description="For a faulty sentence: what exactly is wrong. Learners' "
                            "explanations are compared with it.")

    @model_validator(mode="after")
    def _why_for_faulty(self) -> "Sentence":
        if self.faulty and not (self.why and self.why.strip()):
            raise ValueError(f"sentence '{self.id}' is faulty but has no `why`; say what is wrong so learners' "
                             "explanations can be compared with it")
        return self


def _every_decision() -> list[Decision]:
    return ["use", "verify", "reject"]


class DecisionSpec(Strict):
    options: list[Decision] = Field(default_factory=_every_decision,
                                    description="The options offered to the learner.")
    expected: Decision = Field(description="The decision an expert would make.")
    credit: dict[Decision, float] = Field(default_factory=dict, description="Partial credit (0..1) for other "
                                          "options, e.g. {reject: 0.5}.")
    ask_confidence: bool = Field(True, description="Ask the learner for a confidence (used for calibration).")
    why: str | None = Field(None, description="The expert's reason for the expected decision, shown afterwards.")

    @model_validator(mode="after")
    def _expected_is_option(self) -> "DecisionSpec":
        if self.expected not in self.options:
            raise At(f"expected decision '{self.expected}' is not one of the options {self.options}; "
                     f"add it to `options` or change `expected`", "expected")
        for k, v in self.credit.items():
            if not 0 <= v <= 1:
                raise At(f"credit for '{k}' is {v}; partial credit must be between 0 and 1", "credit", k)
        return self


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def _business_days(year: int, month: int) -> list[Any]:
    import calendar
    from datetime import date

    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if date(year, month, d).weekday() < 5]


class When(Strict):
    """When the real workflow happens, so the catalogue can surface the scenario the working day before."""

    weekly: Literal["monday", "tuesday", "wednesday", "thursday", "friday"] | None = Field(
        None, description="The weekday the workflow happens, e.g. friday.")
    monthly: Literal["first business day", "last business day"] | None = Field(
        None, description="The business day of the month the workflow happens (Monday to Friday; public holidays "
                          "are not known).")

    @model_validator(mode="after")
    def _one(self) -> "When":
        if (self.weekly is None) == (self.monthly is None):
            raise ValueError("`when` takes exactly one of `weekly: friday` or `monthly: last business day`")
        return self

    def happens_on(self, day: Any) -> bool:
        if day.weekday() >= 5:
            return False
        if self.weekly is not None:
            return WEEKDAYS[day.weekday()] == self.weekly
        days = _business_days(day.year, day.month)
        return day == (days[0] if self.monthly == "first business day" else days[-1])

    def surfaces_on(self, day: Any) -> bool:
        """True on the working day before the workflow happens."""
        from datetime import timedelta

        if day.weekday() >= 5:
            return False
        nxt = day + timedelta(days=1)
        while nxt.weekday() >= 5:
            nxt += timedelta(days=1)
        return self.happens_on(nxt)


class ScenarioBase(Strict):
    id: Slug = Field(description="Unique slug across the organisation's scenarios.")
    title: str = Field(min_length=3, max_length=200, description="What the learner sees in the catalogue.")
    roles: list[str] = Field(min_length=1, description="Roles this scenario is for, e.g. customer-support.")
    skills: list[str] = Field(min_length=1, description="Skills practised, e.g. prompt-framing, data-handling, "
                              "error-spotting, trust-calibration.")
    workflow: str = Field(min_length=3, description="The real task this practice belongs to.")
    outcome: str = Field(min_length=10, description="The behaviour this scenario exists to change; insights "
                         "report by it.")
    minutes: int = Field(5, ge=1, le=120, description="Expected time on task.")
    difficulty: Literal["intro", "core", "stretch"] = Field("core", description="intro, core or stretch.")
    policy: str | None = Field(None, description="A policy id from policies/; required for frame scenarios.")
    brief: str = Field(min_length=10, description="Markdown the learner reads first.")
    material: str | None = Field(None, description="The organisation's own data the learner works from; may hold "
                                 "personal data on purpose.")
    model_answer: str | None = Field(None, description="An expert answer, shown after the attempt.")
    rubric: Rubric = Field(description="How answers are graded.")
    examples: list[Example] = Field(default_factory=list, description="Labelled answers; `sparring test` grades "
                                    "them.")
    when: When | None = Field(None, description="When the real workflow happens (`weekly: friday`, `monthly: last "
                              "business day`): the catalogue surfaces the scenario the working day before.")


class FrameScenario(ScenarioBase):
    kind: Literal["frame"] = Field(description="frame: write a prompt for a real task without leaking data.")
    assistant: AssistantSpec = Field(default_factory=AssistantSpec, description="What answers in the sandbox.")

    @model_validator(mode="after")
    def _needs_policy(self) -> "FrameScenario":
        if not self.policy:
            raise ValueError("a frame scenario needs `policy:` (a policy id from policies/) to check prompts against")
        return self


class SpotScenario(ScenarioBase):
    kind: Literal["spot"] = Field(description="spot: find what is wrong in an AI's output.")
    output: list[Sentence] = Field(min_length=2, description="The AI's text, sentence by sentence.")

    @model_validator(mode="after")
    def _sentences(self) -> "SpotScenario":
        seen: set[str] = set()
        for i, s in enumerate(self.output):
            if s.id in seen:
                raise At(f"sentence id '{s.id}' appears twice in `output`; sentence ids must be unique",
                         "output", i, "id")
            seen.add(s.id)
        if not any(s.faulty for s in self.output):
            raise At("no sentence in `output` is marked `faulty: true`; a spot scenario needs at least one", "output")
        return self


class TrustScenario(ScenarioBase):
    kind: Literal["trust"] = Field(description="trust: decide whether to use, verify or reject an AI answer.")
    question: str | None = Field(None, description="What the learner asked the AI.")
    output: str = Field(min_length=1, description="The AI's answer the learner must judge.")
    decision: DecisionSpec = Field(description="Options, the expected decision and partial credit.")


Scenario = Annotated[Union[FrameScenario, SpotScenario, TrustScenario], Field(discriminator="kind")]
AnyScenario = FrameScenario | SpotScenario | TrustScenario


# -------------------------------------------------------------------------------------------- policy


class EntityRule(Strict):
    action: Action = Field(description="block, redact, warn or allow.")
    min_score: float = Field(0.5, ge=0, le=1, description="Findings scoring below this are ignored.")


# `PERSON: block` is shorthand for `PERSON: {action: block}`. Choosing the branch by type means a misspelt action
# gives one clear error ("'action' is 'blok'") instead of one per member of the union.
EntityRuleOrAction = Annotated[
    Union[Annotated[EntityRule, Tag("rule")], Annotated[Action, Tag("action")]],
    Discriminator(lambda v: "action" if isinstance(v, str) else "rule"),
]


class PatternSpec(Strict):
    name: str | None = Field(None, description="Pattern name, shown in findings as the rule that fired.")
    regex: str = Field(min_length=1, description="Python regular expression.")
    score: float = Field(0.6, ge=0, le=1, description="Score of a match before context boosts.")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str) -> str:
        from ..patterns import problem

        # Presidio matches policy patterns with IGNORECASE | MULTILINE | DOTALL; checked the same way
        why = problem(v, re.IGNORECASE | re.MULTILINE | re.DOTALL)
        if why:
            raise ValueError(why)
        return v


class RecognizerSpec(Strict):
    entity: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$", description="Entity type, UPPER_SNAKE_CASE.")]
    name: str | None = Field(None, description="Recognizer name; defaults to ENTITY recognizer.")
    action: Action | None = Field(None, description="Action for this entity (same as listing it under entities).")
    min_score: float | None = Field(None, ge=0, le=1, description="Minimum score for this entity.")
    patterns: list[PatternSpec] = Field(default_factory=list, description="Regex patterns with scores.")
    deny_list: list[str] = Field(default_factory=list, description="Exact terms that are always this entity.")
    context: list[str] = Field(default_factory=list, description="Words nearby that raise the score.")

    @model_validator(mode="after")
    def _has_something(self) -> "RecognizerSpec":
        if not self.patterns and not self.deny_list:
            raise ValueError(f"recognizer for {self.entity} has neither `patterns` nor `deny_list`; add one")
        return self


class PolicyTest(Strict):
    text: str = Field(min_length=1, description="A realistic text someone might type into an AI tool.")
    expect: Action = Field(description="The verdict the policy should give.")
    entities: list[str] = Field(default_factory=list, description="Entity types that must be found (all others "
                                "with a non-allow action count as false alarms).")
    note: str | None = Field(None, description="Why this case is here (e.g. 'lowercase name').")


class Policy(Strict):
    id: Slug = Field(description="Unique policy id; scenarios refer to it with `policy:`.")
    title: str = Field(min_length=3, description="Human title.")
    description: str | None = Field(None, description="What this policy protects and why.")
    language: str = Field("en", description="Language of the texts checked.")
    default_min_score: float = Field(0.5, ge=0, le=1, description="min_score for entities that do not set one.")
    entities: dict[str, EntityRuleOrAction] = Field(default_factory=dict, description="Entity type → action or "
                                                     "{action, min_score}.")
    recognizers: list[RecognizerSpec] = Field(default_factory=list, description="The organisation's own "
                                              "identifiers.")
    allow_list: list[str] = Field(default_factory=list, description="Exact strings never flagged.")
    tests: list[PolicyTest] = Field(default_factory=list, description="Labelled examples for `sparring policy "
                                    "test`.")

    @model_validator(mode="after")
    def _unique_recognizers(self) -> "Policy":
        seen: set[str] = set()
        for i, r in enumerate(self.recognizers):
            key = r.name or r.entity
            if key in seen:
                raise At(f"recognizer '{key}' is defined twice; merge the patterns into one recognizer or "
                         "give each a distinct `name`", "recognizers", i, "name" if r.name else "entity")
            seen.add(key)
        return self

    def rule(self, entity: str) -> EntityRule | None:
        r = self.entities.get(entity)
        if r is None:
            for rec in self.recognizers:
                if rec.entity == entity and rec.action:
                    return EntityRule(action=rec.action, min_score=rec.min_score or self.default_min_score)
            return None
        if isinstance(r, str):
            return EntityRule(action=r, min_score=self.default_min_score)
        return r


class PolicyTestFile(Strict):
    policy: str = Field(description="The policy id these tests belong to.")
    tests: list[PolicyTest] = Field(min_length=1, description="Labelled examples.")


Example.model_rebuild()
