"""YAML text → plain Python data plus the line and column of every node, so errors can point at FILE:LINE:COL.

We compose the node graph ourselves (PyYAML's safe composer) instead of calling `safe_load`, for two reasons:
positions survive, and aliases are expanded under a budget so an alias bomb is refused instead of eating memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

# Generous for hand-written content, small enough that hostile input fails fast.
MAX_BYTES = 2_000_000
MAX_NODES = 200_000
MAX_DEPTH = 64

Path = tuple[Any, ...]


class YamlError(Exception):
    def __init__(self, message: str, line: int = 1, col: int = 1, hint: str | None = None):
        super().__init__(message)
        self.message, self.line, self.col, self.hint = message, line, col, hint


@dataclass
class Source:
    """Parsed YAML with positions: `pos[path]` is the (line, col) of the value, `key_pos[path]` of its key."""

    data: Any
    pos: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_pos: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """The closest known position for `path`: the node itself, else its nearest ancestor."""
        path = tuple(path)
        while True:
            if key and path in self.key_pos:
                return self.key_pos[path]
            if path in self.pos:
                return self.pos[path]
            if not path:
                return (1, 1)
            path = path[:-1]


def parse(text: str, max_bytes: int = MAX_BYTES) -> Source:
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise YamlError(f"file is larger than {max_bytes // 1000} kB", hint="split it into several files "
                        "(an administrator can raise [limits] max_yaml_bytes in sparring.toml)")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise YamlError("file contains a NUL byte; it looks binary, not YAML", line, 1,
                        hint="save it as UTF-8 text")
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        # An unclosed bracket or quote is noticed lines later (often at the end of the file); the place to fix
        # is where it was opened, which PyYAML keeps as the context mark.
        if e.context_mark and e.context and ("flow" in e.context or "quoted scalar" in e.context):
            mark = e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = f"YAML syntax error: {e.problem or e}"
        if e.context:
            msg += f" ({e.context})"
        raise YamlError(msg, line, col, hint="check indentation, colons and quotes on this line or the one "
                        "above") from None
    except yaml.YAMLError as e:  # reader errors (bad characters) carry no mark
        raise YamlError(f"YAML error: {e}", hint="save the file as UTF-8 text") from None
    except RecursionError:
        raise YamlError("YAML is nested too deeply", hint=f"keep nesting under {MAX_DEPTH} levels") from None
    src = Source(None)
    if node is None:
        return src
    budget = [MAX_NODES]
    src.data = _build(node, (), src, budget, 0)
    return src


class _Loader(yaml.SafeLoader):
    """PyYAML's scanner does work proportional to the flow nesting level for every token, so `[[[[...` costs
    seconds before the composer's recursion gives up; refuse deep flow nesting as soon as it is seen."""

    def fetch_flow_collection_start(self, TokenClass):
        if self.flow_level >= MAX_DEPTH:
            raise yaml.scanner.ScannerError(None, None, f"[ and {{ nested deeper than {MAX_DEPTH} levels",
                                            self.get_mark())
        super().fetch_flow_collection_start(TokenClass)


_PLAIN_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_constructor = yaml.SafeLoader(""  # only used to turn scalar nodes into typed values (int, bool, float, ...)
                               )


def _build(node: yaml.Node, path: Path, src: Source, budget: list[int], depth: int) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlError(f"YAML expands to more than {MAX_NODES} nodes (an alias bomb?)",
                        node.start_mark.line + 1, node.start_mark.column + 1,
                        hint="remove repeated anchors/aliases")
    if depth > MAX_DEPTH:
        raise YamlError(f"YAML is nested deeper than {MAX_DEPTH} levels", node.start_mark.line + 1,
                        node.start_mark.column + 1, hint="flatten the structure")
    src.pos.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if node.tag not in _PLAIN_COLLECTION_TAGS and not isinstance(node, yaml.ScalarNode):
        # e.g. `!!python/object/apply:os.system [...]`: never constructed, but silently reading it as a plain
        # list would hide what the author (or an attacker) wrote
        raise YamlError(f"cannot read value: unsupported tag {node.tag}", node.start_mark.line + 1,
                        node.start_mark.column + 1, hint="remove the tag")
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                raise YamlError("merge keys (<<) are not supported", knode.start_mark.line + 1,
                                knode.start_mark.column + 1, hint="write the fields out")
            key = _build(knode, path + ("<key>",), src, budget, depth + 1)
            if isinstance(key, (list, dict)):
                raise YamlError("a mapping key must be a plain value", knode.start_mark.line + 1,
                                knode.start_mark.column + 1)
            if key in out:
                raise YamlError(f"duplicate key '{key}'", knode.start_mark.line + 1, knode.start_mark.column + 1,
                                hint="each key may appear once in a mapping; remove or rename one")
            src.key_pos[path + (key,)] = (knode.start_mark.line + 1, knode.start_mark.column + 1)
            out[key] = _build(vnode, path + (key,), src, budget, depth + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, path + (i,), src, budget, depth + 1) for i, v in enumerate(node.value)]
    try:
        return _constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as e:
        raise YamlError(f"cannot read value: {e.problem}", node.start_mark.line + 1, node.start_mark.column + 1,
                        hint="quote the value") from None
