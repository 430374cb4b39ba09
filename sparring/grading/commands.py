"""Sub-commands of the `sparring` CLI for this area (see sparring/cli.py)."""

from __future__ import annotations


def add_commands(sub, common) -> None:
    """Register this area's sub-commands on the CLI's subparsers."""
