"""The `sparring` command. Exit codes: 0 success, 1 a check failed, 2 bad usage. `--json` prints exactly one JSON
document on stdout. Each area adds its own sub-commands through `add_commands(sub)` in its `commands.py`."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any, Callable

from .content.problems import ContentError

# Areas that contribute sub-commands; each module defines add_commands(subparsers, common).
COMMAND_MODULES = [
    "sparring.policy.commands",
    "sparring.grading.commands",
    "sparring.store.commands",
    "sparring.insights.commands",
]


class UsageError(Exception):
    """Bad usage: exit 2 with the message."""


def emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")


def common_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--root", default=None, help="organisation folder (default: $SPARRING_ROOT or the current "
                   "directory)")
    return p


def resolve_root(args: argparse.Namespace) -> Path:
    import os

    root = Path(args.root or os.environ.get("SPARRING_ROOT") or ".").resolve()
    if not root.is_dir():
        raise UsageError(f"--root {root}: no such folder")
    return root


def cmd_validate(args: argparse.Namespace) -> int:
    from .content.loader import load_org

    root = resolve_root(args)
    org = load_org(root, [Path(p) for p in args.paths] or None)
    problems = org.problems
    if args.paths:  # report only on the files asked about
        wanted = [Path(p).resolve() for p in args.paths]

        def asked(file: str) -> bool:
            f = (root / file).resolve() if not Path(file).is_absolute() else Path(file)
            return any(f == w or w in f.parents for w in wanted)

        problems = [p for p in problems if asked(p.file)]
    if args.json:
        emit_json({"ok": not problems, "problems": [p.as_dict() for p in problems],
                   "scenarios": len(org.scenarios), "policies": len(org.policies)})
    else:
        for p in problems:
            print(p)
        status = "OK" if not problems else f"{len(problems)} problem(s)"
        print(f"{status}: {len(org.scenarios)} scenarios, {len(org.policies)} policies, "
              f"{len(org.registry.names())} grader kinds", file=sys.stderr)
    return 1 if problems else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .content.schema import policy_schema, scenario_schema
    from .grading.registry import load_registry

    if args.what == "scenario":
        doc = scenario_schema(load_registry(resolve_root(args)))
    else:
        doc = policy_schema()
    emit_json(doc)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .ui.app import launch

    launch(root=resolve_root(args), host=args.host, port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = common_parser()
    parser = argparse.ArgumentParser(prog="sparring", description="Practise judgment with AI tools.")
    parser.add_argument("--version", action="version", version="sparring 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("validate", parents=[common], help="check scenarios, policies and graders")
    p.add_argument("paths", nargs="*", help="files or folders (default: the whole organisation)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", parents=[common], help="print the JSON Schema of scenario or policy YAML")
    p.add_argument("what", choices=["scenario", "policy"])
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("serve", parents=[common], help="run the web app (same as python app.py)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_serve)

    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UsageError as e:
        print(f"sparring {args.command}: {e}", file=sys.stderr)
        return 2
    except ContentError as e:  # broken content: every problem as FILE:LINE:COL
        for prob in e.problems:
            print(prob, file=sys.stderr)
        return 1
    except KeyError as e:  # unknown scenario / policy ids carry a suggestion
        print(f"sparring {args.command}: {e.args[0] if e.args else e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # `python -m sparring.cli`: run the imported module's main, so the UsageError that command modules raise
    # (sparring.cli.UsageError) is the one caught here, not a second copy in __main__
    from sparring.cli import main as _main

    sys.exit(_main())
