"""`python`: a criterion graded by a function in the organisation's `graders/` folder.

    - id: claim-format
      check: python
      function: claims:claim_reference_format     # graders/claims.py, def claim_reference_format(criterion, ctx)

The function returns a CriterionResult, or a (passed, feedback) tuple. Plugins can also register whole new
kinds with `sparring.grading.register`; this kind is for one-off checks that do not deserve a kind of their own.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ..registry import CriterionOptions, register
from ..result import CriterionResult

if TYPE_CHECKING:
    from ...content.loader import Content


class PythonOptions(CriterionOptions):
    check: Literal["python"] = Field(description="A function in graders/MODULE.py.")
    function: str = Field(pattern=r"^[A-Za-z_][\w]*:[A-Za-z_]\w*$", description="MODULE:FUNCTION, where MODULE is "
                          "a file in graders/ (without .py).")
    args: dict[str, Any] = Field(default_factory=dict, description="Extra arguments passed as criterion.args.")

    def check_scenario(self, scenario, org):
        if _resolve(self.function, org) is None:
            mod = self.function.split(":")[0]
            yield (f"python grader '{self.function}' not found: no function in graders/{mod}.py", ("function",))


def _resolve(ref: str, org: Content):
    mod, fn = ref.split(":")
    name = f"sparring_plugins.{org.root.name}.{mod}".replace("-", "_")
    module = sys.modules.get(name)
    return getattr(module, fn, None) if module else None


@register("python", options=PythonOptions, description="A Python function from graders/ decides.",
          example="- id: claim-format\n  check: python\n  function: claims:claim_reference_format")
def grade_python(opts: PythonOptions, ctx) -> CriterionResult:
    fn = _resolve(opts.function, ctx.org)
    if fn is None:
        return CriterionResult(id=opts.id, passed=False, score=0.0, evidence=None,
                               feedback=f"The grader function {opts.function} is not available; tell the author.")
    out = fn(opts, ctx)
    if isinstance(out, CriterionResult):
        return out
    passed, feedback = out
    return CriterionResult(id=opts.id, passed=bool(passed), score=1.0 if passed else 0.0, feedback=str(feedback))
