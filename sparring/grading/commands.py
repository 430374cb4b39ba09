"""Grading sub-commands: `sparring test`, `sparring grade`, `sparring calibrate`.

All three go through `rubric.grade`, the same code path as the web app.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .examples import check_contrasts, check_examples, check_reviewed  # noqa: F401  (importable from here too: tests and the UI)

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from ..organisation import Organisation


def add_commands(sub, common) -> None:
    """Register this area's sub-commands on the CLI's subparsers."""
    p = sub.add_parser("test", parents=[common], help="grade every scenario's examples and compare with their labels")
    p.add_argument("paths", nargs="*", help="scenario files or folders (default: every scenario)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--no-policies", action="store_true", help="skip the policies' labelled tests")
    p.add_argument("--show-contrasts", action="store_true", help="list every generated contrast (near miss) of the "
                   "semantic and justification criteria, and whether it fails as it must")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("grade", parents=[common], help="grade one answer (a JSON file, or - for stdin)")
    p.add_argument("--scenario", required=True, help="scenario id or YAML file")
    p.add_argument("--answer", required=True, help="JSON file with the answer, or - to read stdin")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("calibrate", parents=[common], help="suggest a threshold per semantic criterion from the "
                       "scenario's examples")
    p.add_argument("scenario", help="scenario id or YAML file")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_calibrate)


# ----------------------------------------------------------------------------------------------- grade


MAX_DEPTH = 20  # an answer is at most {"flags": {"s2": "..."}}: anything deeper is not an answer


def _read_answer(ref: str) -> dict[str, Any]:
    from ..cli.common import UsageError

    data: str | bytes
    if ref == "-":
        data, where = read_stdin(), "stdin"
    else:
        path = Path(ref)
        if not path.is_file():
            raise UsageError(f"--answer {ref}: no such file (give a JSON file, or - to read stdin)")
        try:
            data, where = path.read_bytes(), str(path)
        except OSError as e:
            raise UsageError(f"--answer {ref}: cannot read it ({e.strerror})") from None
    try:
        raw = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as e:
        raise UsageError(f"{where}: not UTF-8 text (byte {e.start}); save it as UTF-8 JSON") from None
    return answer_from_json(raw, where)


def read_stdin() -> str | bytes:
    """stdin as bytes (decoded by the caller, so bad bytes get a message), or as text when it has no buffer."""
    buf = getattr(sys.stdin, "buffer", None)
    return buf.read() if buf is not None else sys.stdin.read()


def cli_text(raw: str | bytes, where: str) -> str:
    """Free text from the command line (an argument or stdin) as a str every later step can encode, or
    UsageError: bytes that are not UTF-8 (an argument's arrive as lone surrogates, by Python's surrogateescape),
    or a lone surrogate."""
    from ..cli import UsageError

    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise UsageError(f"{where}: not UTF-8 text (byte {e.start}); save or type it as UTF-8") from None
    if _lone_surrogate(raw) is not None:
        raise UsageError(f"{where} holds bytes that are not UTF-8 text, or a lone surrogate; give it as UTF-8")
    return raw


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number an answer can hold")


def answer_from_json(raw: str, where: str) -> dict[str, Any]:
    """Parse an answer document from the command line, or raise UsageError (exit 2) saying what is wrong and
    where: bad JSON, nesting deeper than MAX_DEPTH, NaN/Infinity, a lone surrogate (text no encoding can
    store), or not an object. Never a traceback."""
    from ..cli import UsageError

    shape = ('an answer looks like {"prompt": "..."} (frame), {"flags": {"s2": "why"}} (spot) or '
             '{"decision": "verify", "confidence": 0.8, "justification": "..."} (trust)')
    # Count the nesting before parsing: json.loads recurses, and 100,000 "[" exhaust the stack.
    depth = deepest = 0
    in_str = esc = False
    for ch in raw:
        if in_str:
            esc, in_str = (False, True) if esc else (ch == "\\", ch != '"')
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                raise UsageError(f"{where}: JSON nested more than {MAX_DEPTH} levels deep; {shape}")
        elif ch in "]}":
            depth -= 1
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise UsageError(f"{where}:{e.lineno}:{e.colno}: not valid JSON ({e.msg}); {shape}") from None
    except (ValueError, RecursionError) as e:
        raise UsageError(f"{where}: not a usable answer ({e}); {shape}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{where}: the answer must be a JSON object, not {type(data).__name__}; {shape}")
    bad = _lone_surrogate(data)
    if bad is not None:
        raise UsageError(f"{where}: {bad or 'the answer'} holds a lone surrogate (a half of a UTF-16 pair, such "
                         "as \\ud800): it is not text any file or database can store; remove it or write the "
                         "character itself")
    return data


def _lone_surrogate(value: Any, path: str = "") -> str | None:
    """The JSON path of the first string (key or value) holding a lone surrogate, else None."""
    if isinstance(value, str):
        return path if any("\ud800" <= ch <= "\udfff" for ch in value) else None
    if isinstance(value, dict):
        for k, v in value.items():
            k_shown = str(k).encode("ascii", "backslashreplace").decode()  # a key may hold the surrogate itself
            here = f"{path}.{k_shown}" if path else k_shown
            if _lone_surrogate(k) is not None:
                return here
            got = _lone_surrogate(v, here)
            if got is not None:
                return got
    if isinstance(value, list):
        for i, v in enumerate(value):
            got = _lone_surrogate(v, f"{path}[{i}]")
            if got is not None:
                return got
    return None


def cmd_grade(args: argparse.Namespace) -> int:
    from ..cli.common import UsageError, emit_json, resolve_root
    from ..organisation import get_org
    from .rubric import AnswerError, grade

    org = get_org(resolve_root(args))
    scenario = org.scenario(args.scenario)
    answer = _read_answer(args.answer)
    try:
        result = grade(org, scenario, answer)
    except AnswerError as e:
        raise UsageError(f"--answer {args.answer}: {e}") from None
    if args.json:
        emit_json(result.public())
    else:
        print(format_grade(result))
    return 0 if result.passed else 1


def format_grade(result) -> str:
    head = "PASSED" if result.passed else "NOT GRADED YET" if result.ungraded else "NOT YET"
    lines = [f"{result.scenario}: {head} — {result.summary}"]
    if result.policy:
        lines.append(f"  policy verdict: {result.policy.get('verdict')}")
    for c in result.criteria:
        mark = {"passed": "✓", "failed": "✗", "ungraded": "?"}[c.status]
        req = " (required)" if c.required else ""
        score = "not checked" if c.ungraded else f"{c.score:.0%}"
        lines.append(f"  {mark} {c.label or c.id}{req} [{c.check}] {score}: {c.feedback}")
    if not result.passed and result.model_answer:
        lines.append("  Model answer: " + " ".join(result.model_answer.split()))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ test


def _policy_tests(org: Organisation) -> tuple[list[dict[str, Any]], str | None]:
    """Every policy's labelled tests, through the policy area's evaluator (as `sparring policy test`)."""
    try:
        from ..policy.evaluate import evaluate, labelled_tests
    except ImportError:
        return [], "policy tests skipped: the policy evaluator is not available (run `sparring policy test`)"
    rows = []
    for pid in sorted(org.policies):
        try:
            report = evaluate(org.policy_engine(pid), labelled_tests(org, pid))
        except Exception as e:  # noqa: BLE001 - report, do not crash the whole test run
            rows.append({"policy": pid, "tests": 0, "mismatches": [f"policy tests could not run: {e}"]})
            continue
        mism = []
        for c in report.failures:
            extra = (f"; missed {', '.join(c.missed)}" if c.missed else "") + (
                f"; false alarms {', '.join(sorted({f['entity'] for f in c.false_alarms}))}" if c.false_alarms else "")
            mism.append(f"{c.label()}: expected {c.expect}, got {c.got}{extra}")
        rows.append({"policy": pid, "tests": report.tests, "mismatches": mism})
    return rows, None


def _accepted_reviews(org: Any) -> list[Any]:
    """The accepted examples from mentors' reviews, handed to the grader as the web app does, so `sparring test`
    grades what learners get. None when the organisation has no database yet: a test never creates one."""
    from ..review import load_accepted, review_examples
    from ..store.db import is_url, open_store, store_target

    target = store_target(org.settings, org.root)
    if not is_url(target) and not Path(target).exists():
        return []
    store = open_store(org)
    load_accepted(org, store)
    return review_examples(store, status="accepted")


def cmd_test(args: argparse.Namespace) -> int:
    from ..cli.common import emit_json, resolve_root
    from ..organisation import load_org

    root = resolve_root(args)
    org = load_org(root, [Path(p) for p in args.paths] or None)
    scenarios = list(org.scenarios.values())
    if args.paths:
        wanted = [Path(p).resolve() for p in args.paths]
        keep = []
        for sc in scenarios:
            f = org.files[f"scenario:{sc.id}"].path.resolve()
            if any(f == w or w in f.parents for w in wanted):
                keep.append(sc)
        scenarios = keep
    rows = []
    contrasts: list[dict[str, Any]] = []
    reviewed = _accepted_reviews(org)
    for sc in sorted(scenarios, key=lambda s: s.id):
        rows.extend(check_examples(org, sc))
        rows.extend(check_reviewed(org, sc, reviewed))
        contrasts.extend(check_contrasts(org, sc))
    policy_rows, note = ([], None) if (args.no_policies or args.paths) else _policy_tests(org)
    bad = [r for r in rows + policy_rows if r.get("mismatches")]
    bad_contrasts = [c for c in contrasts if c["passed"]]
    problems = [str(p) for p in org.problems]
    ok = not bad and not problems and not bad_contrasts
    if args.json:
        emit_json({"ok": ok, "examples": len(rows), "mismatches": len(bad), "results": rows,
                   "contrasts": contrasts, "contrasts_passed": len(bad_contrasts),
                   "policy_tests": policy_rows, "problems": problems, "note": note})
        return 0 if ok else 1
    for p in problems:
        print(p)
    if getattr(args, "show_contrasts", False):
        for c in contrasts:
            print(f"CONTRAST {c['scenario']} / {c['criterion']} ({c['kind']}): {'PASSES' if c['passed'] else 'fails'}"
                  f": {c['contrast']}")
    for c in bad_contrasts:
        print(f"MISMATCH {c['scenario']} / {c['criterion']}: the generated contrast ({c['kind']}) "
              f"“{c['contrast']}” passes; the rubric cannot tell it from “{c['statement']}”. Make the statement "
              "more specific, add a failing example like it, or set `contrasts: false` on the criterion")
    for r in bad:
        where = f"{r['scenario']} / {r['example']}" if "scenario" in r else f"policy {r.get('policy')}"
        for m in r["mismatches"]:
            print(f"MISMATCH {where}: {m}")
    if note:
        print(note, file=sys.stderr)
    n_sc = len({r['scenario'] for r in rows})
    n_rev = sum(r.get("source") == "review" for r in rows)
    n_pt = sum(r.get("tests", 0) for r in policy_rows)
    n_pbad = sum(len(r["mismatches"]) for r in policy_rows)
    print(f"{'OK' if ok else 'FAILED'}: {len(rows) - len([r for r in bad if 'scenario' in r])} of {len(rows)} "
          f"examples in {n_sc} scenarios graded as labelled" +
          (f" ({n_rev} from mentors' reviews)" if n_rev else "") +
          f"; {len(contrasts) - len(bad_contrasts)} of {len(contrasts)} generated contrasts fail as they must" +
          (f"; {n_pt - n_pbad} of {n_pt} policy tests as labelled" if policy_rows else "") +
          (f"; {len(problems)} content problem(s)" if problems else ""), file=sys.stderr)
    return 0 if ok else 1


# ------------------------------------------------------------------------------------------- calibrate


def cmd_calibrate(args: argparse.Namespace) -> int:
    from ..cli.common import UsageError, emit_json, resolve_root
    from ..organisation import get_org
    from .calibrate import calibrate

    org = get_org(resolve_root(args))
    scenario = org.scenario(args.scenario)
    rows = calibrate(org, scenario, _accepted_reviews(org))
    if not rows:
        raise UsageError(f"scenario '{scenario.id}' has no criterion with a threshold to calibrate "
                         "(semantic, justification, flags), or no examples")
    if args.json:
        emit_json({"scenario": scenario.id, "criteria": [r.model_dump() for r in rows]})
        return 0
    for r in rows:
        print(r.describe())
    return 0
