"""Hostile and broken YAML: the loaders never crash, never hang, never execute, and always say FILE:LINE:COL what.

Property tests (hypothesis) feed random text, random bytes, YAML-token soup and type-mutated copies of a real
scenario through `yamlsrc.parse` and the scenario/policy loaders; targeted tests cover alias bombs, deep nesting,
huge files, Python tags, binary and UTF-16 files, and the `[limits] max_yaml_bytes` setting.

"No hang" is enforced by a watchdog (`bounded`): a loader still running after HANG_S seconds fails the test. It is
a hang detector, not a speed test; how fast hostile files are refused is measured in bench/security_bench.py.
"""

from __future__ import annotations

import copy
import os
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sparring.content import yamlsrc
from sparring.organisation import load_org
from sparring.content.loader import load_policy_file, load_scenario_file
from sparring.content.problems import Problem
from sparring.content.yamlsrc import YamlError, parse

REPO = Path(__file__).resolve().parent.parent
HANG_S = 20
# Deterministic in CI (a random find must not block an unrelated change); SPARRING_FUZZ=random explores anew.
FUZZ = settings(max_examples=100, deadline=None, derandomize=os.environ.get("SPARRING_FUZZ") != "random",
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@contextmanager
def bounded(seconds: int = HANG_S):
    """Fail (instead of hanging the CI run) when the block runs longer than `seconds`."""

    def boom(*_):
        raise AssertionError(f"still running after {seconds}s: treated as a hang")

    old = signal.signal(signal.SIGALRM, boom)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def assert_actionable(problems: list[Problem], n_lines: int | None = None) -> None:
    assert problems, "a file that did not load must say why"
    for p in problems:
        assert isinstance(p, Problem)
        assert p.message.strip() and "Traceback" not in p.message
        assert p.line >= 1 and p.col >= 1
        if n_lines is not None:
            assert p.line <= n_lines + 1, f"{p} points past the end of the file"


def load_both(path: Path, loaders=(load_scenario_file, load_policy_file)) -> None:
    """Load a file as a scenario and as a policy: either a typed object or actionable problems, never a raise."""
    text = path.read_bytes().decode("utf-8", "replace")
    n_lines = sum(text.count(c) for c in "\n\r\x85\u2028\u2029") + 1  # YAML's line breaks
    with bounded():
        for loader in loaders:
            loaded = loader(path, "fuzz.yaml")
            if loaded.obj is None:
                assert_actionable(loaded.problems, n_lines)
            else:
                assert not loaded.problems


# ------------------------------------------------------------------------------------------- properties

YAML_TOKENS = ["a", "id", "kind", "frame", "spot", "rubric", "criteria", ":", ": ", "- ", "-", "\n", "  ", "\t", "[",
               "]", "{", "}", ",", "&x ", "*x", "&y ", "*y", "!!str ", "!!python/object/apply:os.system ",
               "!!binary ", "<<: ", "? ", "|", ">", "'", '"', "#", "%YAML 1.1\n", "---\n", "...\n", "~", "null",
               "1e999", "0x1F", ".nan", "\u202e", "\u200b", "\ufeff", "\x85", "\x1b[31m", "é", "😀", "\\"]


@FUZZ
@given(st.text(max_size=2000))
def test_parse_any_text_returns_data_or_a_located_error(text):
    with bounded():
        try:
            parse(text)
        except YamlError as e:
            assert e.message.strip() and e.line >= 1 and e.col >= 1


@FUZZ
@given(st.lists(st.sampled_from(YAML_TOKENS), max_size=80).map("".join))
def test_parse_yaml_token_soup(text):
    with bounded():
        try:
            parse(text)
        except YamlError as e:
            assert e.message.strip() and e.line >= 1 and e.col >= 1


@FUZZ
@given(data=st.binary(max_size=3000))
def test_loaders_survive_random_bytes(tmp_path, data):
    p = tmp_path / "fuzz.yaml"
    p.write_bytes(data)
    load_both(p)


@FUZZ
@given(data=st.lists(st.sampled_from(YAML_TOKENS), max_size=80).map("".join))
def test_loaders_survive_token_soup(tmp_path, data):
    p = tmp_path / "fuzz.yaml"
    p.write_text(data, encoding="utf-8")
    load_both(p)


# Wrong types: a real scenario with one value replaced by something of another type, anywhere in the tree.
_SAMPLE = yaml.safe_load((REPO / "scenarios/customer-support/delayed-claim.yaml").read_text(encoding="utf-8"))
_POLICY = yaml.safe_load((REPO / "policies/external-ai.yaml").read_text(encoding="utf-8"))


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


_ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=200), st.binary(max_size=50),
    st.lists(st.integers(), max_size=5), st.dictionaries(st.text(max_size=10), st.integers(), max_size=3),
    st.just("\x00"), st.just("\u202eevil\u202c"), st.just({"when": {"any": None}}), st.just([[[[[]]]]]))


def _mutate(base, data):
    doc = copy.deepcopy(base)
    paths = [p for p in _paths(doc) if p]
    path = data.draw(st.sampled_from(paths))
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]  # a missing field
    else:
        parent[path[-1]] = data.draw(_ODD_VALUES)
    return doc


MUTATE = settings(FUZZ, max_examples=60)


@MUTATE
@given(data=st.data())
def test_scenario_with_wrong_types_gets_located_problems(tmp_path, data):
    doc = _mutate(_SAMPLE, data)
    p = tmp_path / "fuzz.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_both(p, (load_scenario_file,))


@MUTATE
@given(data=st.data())
def test_policy_with_wrong_types_gets_located_problems(tmp_path, data):
    doc = _mutate(_POLICY, data)
    p = tmp_path / "fuzz.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_both(p, (load_policy_file,))


# ------------------------------------------------------------------------------------------- targeted attacks

def _billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


ATTACKS = {
    "alias bomb (billion laughs)": (_billion_laughs(), "alias"),
    "deep flow nesting": ("[" * 50_000 + "]" * 50_000, "nest"),
    "deep block nesting": ("".join(" " * i + f"k{i}:\n" for i in range(500)) + " " * 500 + "v\n", "nest"),
    "python object tag": ("id: !!python/object/apply:os.system ['touch /tmp/sparring-pwned']\n", "cannot read"),
    "python name tag": ("id: !!python/name:os.system\n", "cannot read"),
    "NUL byte": ("id: x\x00\nkind: frame\n", "NUL"),
    "merge key": ("base: &b {kind: frame}\nother:\n  <<: *b\n", "merge"),
    "duplicate key": ("id: a\nid: b\n", "duplicate key"),
    "mapping as key": ("? [a, b]\n: c\n", "plain value"),
    "top-level list": ("- id: x\n- kind: frame\n", "mapping"),
    "control characters": ("id: \x1b[31mred\x07\n", "YAML"),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_targeted_attack_is_refused_with_a_message(tmp_path, name):
    text, needle = ATTACKS[name]
    p = tmp_path / "attack.yaml"
    p.write_text(text, encoding="utf-8")
    with bounded():
        for loader in (load_scenario_file, load_policy_file):
            loaded = loader(p, "attack.yaml")
            assert loaded.obj is None
            assert_actionable(loaded.problems)
            assert any(needle.lower() in (pr.message + (pr.hint or "")).lower() for pr in loaded.problems), \
                loaded.problems
    assert not Path("/tmp/sparring-pwned").exists()


def test_huge_file_is_refused_before_it_is_read(tmp_path):
    p = tmp_path / "huge.yaml"
    with open(p, "wb") as f:  # sparse: 3 GB on paper, nothing on disk; reading it would exhaust memory
        f.truncate(3 * 10**9)
    with bounded():
        loaded = load_scenario_file(p, "huge.yaml")
    assert loaded.obj is None and "larger than" in loaded.problems[0].message
    assert "max_yaml_bytes" in (loaded.problems[0].hint or "")


def test_huge_string_just_over_the_limit(tmp_path):
    p = tmp_path / "big.yaml"
    p.write_text("id: x\nbrief: " + "a" * (yamlsrc.MAX_BYTES + 10) + "\n", encoding="utf-8")
    loaded = load_scenario_file(p)
    assert loaded.obj is None and "larger than" in loaded.problems[0].message


def test_huge_string_under_the_limit_gets_normal_validation(tmp_path):
    doc = copy.deepcopy(_SAMPLE)
    doc["brief"] = "word " * 60_000  # 300 kB: allowed by size, so it is validated like any other file
    p = tmp_path / "big.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    with bounded():
        loaded = load_scenario_file(p)
    assert loaded.obj is not None and len(loaded.obj.brief) == 300_000, loaded.problems


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_non_utf8_file_says_save_as_utf8(tmp_path, encoding):
    p = tmp_path / "enc.yaml"
    p.write_bytes("id: café-ü\nkind: frame\n".encode(encoding))
    loaded = load_scenario_file(p, "enc.yaml")
    assert loaded.obj is None
    assert any("UTF-8" in (pr.message + (pr.hint or "")) for pr in loaded.problems)


def test_max_yaml_bytes_setting_is_applied_by_load_org(org_copy):
    (org_copy / "sparring.toml").write_text("[limits]\nmax_yaml_bytes = 1000\n", encoding="utf-8")
    big = sorted((org_copy / "scenarios").rglob("*.yaml"))[0]
    assert big.stat().st_size > 1000
    org = load_org(org_copy)
    assert any("larger than 1 kB" in p.message and p.file.endswith(big.name) for p in org.problems)


def test_one_hostile_file_does_not_take_the_organisation_down(org_copy):
    good = len(list((org_copy / "scenarios").rglob("*.yaml")))
    (org_copy / "scenarios" / "bomb.yaml").write_text(_billion_laughs(), encoding="utf-8")
    (org_copy / "scenarios" / "binary.yaml").write_bytes(bytes(range(256)) * 10)
    (org_copy / "policies" / "deep.yaml").write_text("[" * 10_000, encoding="utf-8")
    with bounded(60):
        org = load_org(org_copy)
    files = {p.file for p in org.problems}
    assert {"scenarios/bomb.yaml", "scenarios/binary.yaml", "policies/deep.yaml"} <= files, org.problems
    assert len(org.scenarios) == good


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"[limits]\nmax_answer_chars = 'lots'\n",
                                     b"[limits]\nmax_answer_chars = 10\n", b"[[[\n", b"[store]\npath = 42\n"])
def test_broken_settings_file_is_a_problem_not_a_crash(org_copy, content):
    (org_copy / "sparring.toml").write_bytes(content)
    org = load_org(org_copy)
    assert any(p.file.endswith("sparring.toml") for p in org.problems), org.problems
    assert_actionable([p for p in org.problems if p.file.endswith("sparring.toml")])


@pytest.mark.parametrize("value", ["{when: {any: null}}", "[frame, spot]", "12", "null", "!!binary aGk="])
def test_scenario_kind_of_the_wrong_type_is_a_located_problem(tmp_path, value):
    """Found by the mutation test above: `kind: {a mapping}` crashed the loader (unhashable dict)."""
    p = tmp_path / "k.yaml"
    p.write_text(f"id: x\ntitle: X\nkind: {value}\n", encoding="utf-8")
    loaded = load_scenario_file(p, "k.yaml")
    assert loaded.obj is None
    assert_actionable(loaded.problems, 4)
