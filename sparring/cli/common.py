"""What every sub-command shares: the `--root` option, bad-usage errors (exit 2) and the one-JSON-document
output. The area modules (`*/commands.py`) import these from here, never from the CLI entry point."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


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
    root = Path(args.root or os.environ.get("SPARRING_ROOT") or ".").resolve()
    if not root.is_dir():
        raise UsageError(f"--root {root}: no such folder")
    return root
