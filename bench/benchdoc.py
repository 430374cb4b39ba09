"""Write one benchmark's own `## ...` section of docs/benchmarks.md, leaving every other section as it is.

Each script in bench/ owns one section; running several of them, in any order, must not disturb the others.
(Imported by the scripts as `from benchdoc import write_section`: `python bench/x.py` puts bench/ on sys.path.)
"""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def write_section(heading: str, text: str, path: Path = DOC) -> None:
    """Replace the section that starts with the line `heading` (e.g. "## Load") by `text`, which starts with that
    heading too; append it when the document has no such section yet."""
    doc = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    body = text.rstrip("\n") + "\n\n"
    if pattern.search(doc):
        doc = pattern.sub(lambda _m: body, doc, count=1)  # a function: `text` may hold backslashes
    else:
        doc = doc.rstrip("\n") + "\n\n" + body
    path.write_text(doc.rstrip("\n") + "\n", encoding="utf-8")
