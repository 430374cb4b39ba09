"""Problems found in an organisation's content, each pointing at FILE:LINE:COL with a hint."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, get_args

from pydantic import BaseModel, ValidationError

from .models import At
from .yamlsrc import Source


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    col: int
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        s = f"{self.file}:{self.line}:{self.col}: {self.message}"
        return f"{s} ({self.hint})" if self.hint else s

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "col": self.col, "message": self.message, "hint": self.hint}


class ContentError(Exception):
    """Raised where one problem must stop the caller (e.g. `grade` on a broken scenario)."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def suggest(word: object, choices: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return match[0] if match else None


def did_you_mean(value: object, choices: Iterable[str], otherwise: str) -> str:
    """The hint for a name that is not known: the closest known name, else `otherwise`."""
    close = suggest(value, choices)
    return f"did you mean '{close}'?" if close else otherwise


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for a in get_args(annotation):
        out.extend(_models_in(a))
    return out


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the mapping at `loc` (for 'did you mean' on unknown fields)."""
    current: list[type[BaseModel]] = [root]
    for part in loc:
        if isinstance(part, int) or not current:
            continue
        nxt: list[type[BaseModel]] = []
        for m in current:
            for name, f in m.model_fields.items():
                if part in (name, f.alias):
                    nxt.extend(_models_in(f.annotation))
        if not nxt:  # dict values (e.g. policy entities) keep the value model
            continue
        current = nxt
    return current[0] if current else None


def from_validation_error(err: ValidationError, src: Source, file: str, root: type[BaseModel],
                          prefix: tuple[Any, ...] = (), strip_tag: bool = False) -> list[Problem]:
    problems: list[Problem] = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        if strip_tag and loc:
            loc = loc[1:]  # the discriminated union's tag ('frame', 'spot', 'trust')
        # pydantic adds '[key]' style parts for function validators and union members; keep real path parts
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        path = prefix + loc
        typ = e["type"]
        if typ == "extra_forbidden":
            key = loc[-1]
            model = _model_at(root, loc[:-1])
            hint = None
            if model is not None:
                hint = did_you_mean(key, _field_names(model), "allowed: " + ", ".join(_field_names(model)))
            line, col = src.locate(path, key=True)
            problems.append(Problem(file, line, col, f"unknown field '{key}'", hint))
        elif typ == "missing":
            line, col = src.locate(path[:-1])
            problems.append(Problem(file, line, col, f"missing required field '{loc[-1]}'",
                                    "add it; see docs/authoring.md"))
        elif typ in ("literal_error", "enum"):
            line, col = src.locate(path)
            expected = e.get("ctx", {}).get("expected", "")
            got = e.get("input")
            choices = [c.strip().strip("'") for c in str(expected).replace(" or ", ",").split(",") if c.strip()]
            hint = did_you_mean(got, choices if isinstance(got, str) else [], f"use one of {expected}")
            where = f"'{loc[-1]}'" if loc else "value"
            problems.append(Problem(file, line, col, f"{where} is {got!r}, not an allowed value", hint))
        elif typ == "union_tag_invalid":
            line, col = src.locate(path + ("kind",))
            got = e.get("input", {}).get("kind") if isinstance(e.get("input"), dict) else None
            hint = did_you_mean(got, ["frame", "spot", "trust"] if isinstance(got, str) else [],
                                "use frame, spot or trust")
            problems.append(Problem(file, line, col, f"unknown scenario kind {got!r}", hint))
        elif typ == "union_tag_not_found":
            problems.append(Problem(file, *src.locate(path), "missing required field 'kind'",
                                    "add `kind: frame`, `kind: spot` or `kind: trust`"))
        else:
            cause = (e.get("ctx") or {}).get("error")
            if isinstance(cause, At):  # the validator named the node at fault inside the object
                loc, path = loc + tuple(cause.path), path + tuple(cause.path)
            line, col = src.locate(path, key=isinstance(cause, At) and bool(cause.path))
            msg = e["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            field = ".".join(str(p) for p in loc)
            hint = None
            if typ.endswith("_type") or typ.endswith("_parsing"):
                hint = f"got {type(e.get('input')).__name__} {_short(e.get('input'))}"
            problems.append(Problem(file, line, col, f"{field}: {msg}" if field else msg, hint))
    return problems


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
