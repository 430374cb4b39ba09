"""Every CLI command and every grader kind is documented (datasette's tests/test_docs.py idea)."""

from __future__ import annotations

import argparse
import re

import pytest

from sparring.cli import build_parser
from sparring.grading.registry import builtin_registry

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    """Every leaf command of the CLI, e.g. 'validate', 'policy check', 'export xapi'."""
    out: list[str] = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            out.append(prefix.strip())
            return
        for name, sub in subs[0].choices.items():
            walk(sub, f"{prefix} {name}")

    walk(build_parser(), "")
    return out


COMMANDS = _commands()


def test_cli_has_the_contract_commands():
    for cmd in ["validate", "schema", "test", "grade", "calibrate", "policy check", "policy test", "serve",
                "users add", "export csv", "export xapi", "demo-data"]:
        assert cmd in COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_command_is_documented(command: str):
    cli_doc = (REPO / "docs" / "cli.md").read_text()
    assert re.search(rf"`sparring {re.escape(command)}\b", cli_doc), f"docs/cli.md does not document '{command}'"


@pytest.mark.parametrize("kind", builtin_registry().names())
def test_grader_kind_is_documented(kind: str):
    guide = (REPO / "docs" / "authoring.md").read_text()
    assert f"`{kind}`" in guide, f"docs/authoring.md does not document the grader kind '{kind}'"
