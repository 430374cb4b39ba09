"""JSON Schema for scenario and policy YAML, for editor completion (yaml-language-server) and other tools.

The scenario schema replaces the generic criterion with one schema per registered grader kind (selected by
`check`), so editors complete each kind's own options too.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import TypeAdapter

from .loader import SCENARIO_ADAPTER
from .models import Policy, PolicyTestFile


def scenario_schema(registry) -> dict[str, Any]:
    schema = copy.deepcopy(SCENARIO_ADAPTER.json_schema(by_alias=True))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Sparring scenario"
    defs = schema.setdefault("$defs", {})
    branches = []
    for name in registry.names():
        kind = registry.get(name)
        sub = TypeAdapter(kind.options).json_schema(by_alias=True, ref_template="#/$defs/{model}")
        for k, v in sub.pop("$defs", {}).items():
            defs.setdefault(k, v)
        sub["description"] = kind.description
        title = f"criterion:{name}"
        defs[title] = sub
        branches.append({"$ref": f"#/$defs/{title}"})
    # Generic criterion → one of the kinds' schemas; the unknown-kind case is reported by `sparring validate`.
    defs["Criterion"] = {"description": "A rubric criterion; `check` selects the grader kind and its options.",
                         "oneOf": branches}
    return schema


def policy_schema() -> dict[str, Any]:
    schema = TypeAdapter(Policy | PolicyTestFile).json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Sparring policy (or policy test file)"
    return schema
