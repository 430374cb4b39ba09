"""`sparring policy test` and `sparring policy check` (registered by sparring/cli/)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named for the checker: sparring.organisation imports this layer
    from ..organisation import Organisation


def add_commands(sub, common) -> None:
    """Register `sparring policy ...` on the CLI's subparsers."""
    p = sub.add_parser("policy", help="test and try data-sharing policies")
    psub = p.add_subparsers(dest="policy_command", metavar="SUBCOMMAND")
    psub.required = True

    t = psub.add_parser("test", parents=[common], help="run labelled tests: precision / recall / F2 per entity")
    t.add_argument("paths", nargs="*", help="policy files, policy test files or folders (default: every policy)")
    t.add_argument("--json", action="store_true", help="print one JSON document")
    t.set_defaults(func=cmd_test)

    c = psub.add_parser("check", parents=[common], help="check one text: verdict, findings, redacted text")
    c.add_argument("--policy", required=True, help="policy id, or path to a policy YAML file")
    c.add_argument("--json", action="store_true", help="print one JSON document")
    c.add_argument("text", nargs="?", default="-", help="the text to check, or - (default) to read stdin")
    c.set_defaults(func=cmd_check)


def _select(org: Organisation, paths: list[str]) -> dict[str, set[str] | None]:
    """policy id → the test files to use (None = all of that policy's tests)."""
    from ..cli.common import UsageError
    from ..content.models import Policy, PolicyTestFile

    if not paths:
        return {pid: None for pid in sorted(org.policies)}
    wanted = [Path(p).resolve() for p in paths]
    for w in wanted:
        if not w.exists():
            raise UsageError(f"{w}: no such file or folder")

    def asked(f: Path) -> bool:
        f = f.resolve()
        return any(f == w or w in f.parents for w in wanted)

    chosen: dict[str, set[str] | None] = {}
    for key, loaded in org.files.items():
        if not asked(loaded.path):
            continue
        if isinstance(loaded.obj, Policy):
            chosen[loaded.obj.id] = None
        elif isinstance(loaded.obj, PolicyTestFile) and loaded.obj.policy in org.policies:
            files = chosen.setdefault(loaded.obj.policy, set())
            if files is not None:
                files.add(str(loaded.path.resolve()))
    if not chosen:
        raise UsageError("no policy or policy test file among " + ", ".join(paths))
    return chosen


def cmd_test(args: argparse.Namespace) -> int:
    from ..cli.common import emit_json, resolve_root
    from ..organisation import load_org
    from .evaluate import evaluate, format_report, labelled_tests

    root = resolve_root(args)
    org = load_org(root, [Path(p) for p in args.paths] or None)
    asked = [Path(p).resolve() for p in args.paths]

    def about_policies(file: str) -> bool:
        f = Path(file) if Path(file).is_absolute() else root / file
        return "policies" in Path(file).parts or any(f.resolve() == a or a in f.resolve().parents for a in asked)

    problems = [p for p in org.problems if about_policies(p.file)]
    if problems and not org.policies:
        chosen = {}
    else:
        chosen = _select(org, args.paths)
    reports = []
    for pid, files in chosen.items():
        tests = labelled_tests(org, pid)
        if files is not None:
            tests = [(src, t) for src, t in tests if str((root / src).resolve()) in files]
        reports.append(evaluate(org.policy_engine(pid), tests))
    failed = [c for r in reports for c in r.failures]
    no_tests = [r.policy for r in reports if r.tests == 0]
    ok = not failed and not problems
    if args.json:
        emit_json({"ok": ok, "problems": [p.as_dict() for p in problems],
                   "policies": [r.as_dict() for r in reports]})
    else:
        for p in problems:
            print(p)
        for r in reports:
            print(format_report(r))
            print()
        for pid in no_tests:
            print(f"policy {pid} has no labelled tests: add `tests:` to it or a file under policies/tests/",
                  file=sys.stderr)
        total = sum(r.tests for r in reports)
        status = "OK" if ok else f"{len(failed)} labelled test(s) failed" + (
            f", {len(problems)} problem(s) in policy files" if problems else "")
        print(f"{status}: {total} labelled tests over {len(reports)} policies", file=sys.stderr)
        for c in failed:
            print(f"FAIL {c.label()}", file=sys.stderr)
    return 0 if ok else 1


def cmd_check(args: argparse.Namespace) -> int:
    from ..cli.common import UsageError, emit_json, resolve_root
    from ..organisation import load_org
    from ..patterns import PatternTimeout

    from ..grading.commands import cli_text, read_stdin

    text = cli_text(read_stdin() if args.text == "-" else args.text,
                    "stdin" if args.text == "-" else "the text")
    if not text or not text.strip():
        raise UsageError("no text to check: pass it as an argument, or pipe it in with `-`")
    org = load_org(resolve_root(args))
    engine = org.policy_engine(args.policy)  # unknown id → KeyError with a suggestion (exit 2)
    try:
        result = engine.check(text)
    except PatternTimeout as e:  # fail closed: never "no findings" for a text the policy could not read through
        raise UsageError(f"the policy check did not finish ({e}), so the text is not known to be clean; try "
                         "again on a less busy machine or a shorter text, or fix the pattern `sparring validate` "
                         "names") from None
    if args.json:
        doc = result.public()
        for f, out in zip(result.findings, doc["findings"]):
            out["explanation"] = f.explanation  # an addition to the contract, allowed by docs/cli.md
        emit_json(doc)
    else:
        print(f"verdict: {result.verdict}  (policy {engine.policy.id})")
        if not result.findings:
            print("no findings")
        for f in result.findings:
            print(f"  {f.action:<6} {f.entity:<15} {f.text!r} [{f.start}:{f.end}] score {f.score:.2f}  rule: {f.rule}")
            print(f"         why: {f.explanation}")
        print("redacted:")
        print(result.redacted)
    # The verdict is the answer, not a failure of the command (docs/cli.md): scripts read it from --json.
    return 0
