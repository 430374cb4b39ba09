"""Author and compliance regexes (scenario `regex` criteria, policy recognizer patterns, Policy lab drafts) that
cannot hang a worker.

The rule, in one place:
- A pattern RE2 can compile runs on RE2 (google-re2): linear time in the input, whatever the pattern.
- A pattern RE2 cannot compile (it uses a lookaround or a backreference) runs on the `regex` module with a time
  bound (PATTERN_TIMEOUT_S), and `sparring validate` refuses it when it backtracks on probe inputs
  (`problem()`), naming the fix.
RE2's `\\w`, `\\d` and `\\b` are ASCII; the policy engine checks NFKC-normalised text, where full-width digits
and letters are already ASCII.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, Protocol

import re2
import regex  # type: ignore[import-untyped]  # no stubs installed; used through two calls here

PATTERN_TIMEOUT_S = 0.5  # a backtracking pattern gives up after this (the `regex` module can overshoot it ~4x)
PROBE_LENGTH = 10_000  # validate runs a backtracking pattern on hostile inputs this long
PROBE_BUDGET_S = 0.1  # ... and refuses it if one takes more CPU time than this
PROBE_WALL_LIMIT_S = 3.0  # a probe still running after this much wall time is refused whatever the CPU says

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a pattern RE2 rejects is expected here; do not print C++ errors on stderr
_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))


class PatternTimeout(RuntimeError):
    """A backtracking pattern ran past PATTERN_TIMEOUT_S on one text. Deliberately not a TimeoutError: Presidio
    catches TimeoutError and skips the pattern, so a check under load would silently find nothing (fail open).
    This one propagates out of the analyzer, and each caller fails closed (docs/security.md, "Fail closed")."""


class Match(Protocol):
    def span(self, group: int = 0) -> tuple[int, int]: ...


class Compiled(Protocol):
    engine: str

    def search(self, text: str) -> bool: ...

    def finditer(self, text: str, timeout: float | None = None) -> Iterator[Any]: ...


class _Re2:
    engine = "re2"

    def __init__(self, rx: Any) -> None:
        self._rx = rx

    def search(self, text: str) -> bool:
        return self._rx.search(text) is not None

    def finditer(self, text: str, timeout: float | None = None) -> Iterator[Any]:
        # `timeout` is what Presidio passes its own engine; RE2 needs none (linear time)
        return iter(list(self._rx.finditer(text)))


class _Bounded:
    engine = "regex"

    def __init__(self, rx: Any, source: str) -> None:
        self._rx, self.source = rx, source

    def search(self, text: str) -> bool:
        try:
            return self._rx.search(text, timeout=PATTERN_TIMEOUT_S) is not None
        except TimeoutError:
            raise PatternTimeout(f"pattern {self.source!r} ran for more than {PATTERN_TIMEOUT_S} s on a "
                                 f"{len(text):,}-character text; `sparring validate` names the fix") from None

    def finditer(self, text: str, timeout: float | None = None) -> Iterator[Any]:
        # `timeout` (Presidio's REGEX_TIMEOUT_SECONDS) is ignored: the bound is ours, read at each call
        try:
            return iter(list(self._rx.finditer(text, timeout=PATTERN_TIMEOUT_S)))
        except TimeoutError:
            raise PatternTimeout(f"pattern {self.source!r} ran for more than {PATTERN_TIMEOUT_S} s on a "
                                 f"{len(text):,}-character text") from None


def _re2(rx: str, flags: int) -> Any:
    letters = "".join(ch for f, ch in _FLAG_LETTERS if flags & f)
    return re2.compile(f"(?{letters}){rx}" if letters else rx, _RE2_OPTIONS)


def re2_error(rx: str, flags: int = 0) -> str | None:
    """Why RE2 cannot run `rx` (None when it can)."""
    try:
        _re2(rx, flags)
    except re2.error as e:
        msg = e.args[0] if e.args else e
        return msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return None


@lru_cache(maxsize=4096)
def compile_pattern(rx: str, flags: int = 0) -> Compiled:
    """`rx` on RE2 when it can run it, else on the `regex` module with a time bound. `flags`: re.I, re.M, re.S."""
    if re2_error(rx, flags) is None:
        return _Re2(_re2(rx, flags))
    return _Bounded(regex.compile(rx, flags), rx)


def _probes(rx: str) -> Iterator[str]:
    """Hostile inputs for `rx`: long runs of the characters it names (and of what its classes match), then one
    character that makes the match fail at the very end, which is what makes a backtracking engine retry."""
    literal = re.sub(r"\\[pP]\{\w+\}|\\.", " ", rx)
    chars = dict.fromkeys(c for c in literal if c.isalnum())
    for cls, rep in (("\\d", "1"), ("\\w", "a"), ("\\s", " "), (".", "a")):
        if cls in rx:
            chars[rep] = None
    chars.update(dict.fromkeys("a1 -"))
    picked = list(chars)[:16]
    for c in picked:
        for tail in ("!", "\n", "\x00"):
            yield c * (PROBE_LENGTH - 1) + tail
    for a, b in zip(picked, picked[1:]):
        yield (a + b) * (PROBE_LENGTH // 2 - 1) + "!"
        yield (a + " " + b + " ") * (PROBE_LENGTH // 4 - 1) + "!"
    for a in picked[:8]:  # one character the pattern needs first (a lookbehind, a prefix), then a long run
        for b in picked[:8]:
            if a != b:
                yield a + b * (PROBE_LENGTH - 2) + "!"


def problem(rx: str, flags: int = 0) -> str | None:
    """What is wrong with an author's pattern, with the fix; None when it is fine. Checked by the content models
    (scenario regex criteria, policy patterns), so `sparring validate` and the Policy lab report it."""
    try:
        re.compile(rx, flags)
    except re.error as e:
        return f"regex {rx!r} does not compile: {e}; check brackets and escape backslashes in single quotes"
    why = re2_error(rx, flags)
    if why is None:
        return None  # RE2 runs it, in linear time
    try:
        compiled = regex.compile(rx, flags)
    except regex.error as e:
        return f"regex {rx!r} does not compile: {e}"
    for probe in _probes(rx):
        # Measured in this thread's CPU time, not the wall clock: on a busy machine a harmless pattern can take
        # longer than the budget in wall time (a valid scenario was refused at load that way). The wall-clock
        # timeout only stops a pattern that would run on for good.
        t0 = time.thread_time()
        try:
            compiled.search(probe, timeout=PROBE_WALL_LIMIT_S)
            took = time.thread_time() - t0
        except TimeoutError:
            took = max(time.thread_time() - t0, PROBE_BUDGET_S * 2)
        if took > PROBE_BUDGET_S:
            shown = probe[:12].replace("\n", "\\n").replace("\x00", "\\0")
            return (f"regex {rx!r} backtracks catastrophically: more than {PROBE_BUDGET_S * 1000:.0f} ms on a "
                    f"{len(probe):,}-character input starting {shown!r}. RE2, the linear-time engine, cannot run "
                    f"it ({why}); rewrite it without the lookaround or backreference so RE2 can, or without "
                    "nested or overlapping repetition such as (a+)+ or (a|aa)+")
    return None


def bound_presidio(recognizer: Any, linear: bool = True) -> None:
    """Bound every pattern of a Presidio PatternRecognizer. With `linear` (a policy's own patterns) a pattern runs
    on RE2 where RE2 can (Presidio compiles them with the `regex` module, which backtracks). Every other pattern
    (Presidio's predefined ones keep their engine: RE2's ASCII \\w and \\b would change what they find) runs on
    the `regex` module as Presidio would, but a timeout raises PatternTimeout instead of being skipped."""
    flags = int(getattr(recognizer, "global_regex_flags", 0) or 0)
    for pattern in getattr(recognizer, "patterns", None) or []:
        compiled = compile_pattern(pattern.regex, flags & (re.I | re.M | re.S)) if linear else None
        if compiled is None or compiled.engine != "re2":
            compiled = _bounded(pattern.regex, flags)
        pattern.compiled_regex = compiled
        pattern.compiled_with_flags = recognizer.global_regex_flags


@lru_cache(maxsize=1024)
def _bounded(rx: str, flags: int) -> _Bounded:
    """`rx` compiled once per process with the `regex` module and Presidio's flags, time-bounded."""
    return _Bounded(regex.compile(rx, flags), rx)


def bound_presidio_timeout() -> None:
    """Presidio gives a backtracking pattern 60 s by default (REGEX_TIMEOUT_SECONDS); ours is PATTERN_TIMEOUT_S.
    Patterns bound by bound_presidio raise PatternTimeout past it; Presidio's own (its allow-list regex) keep
    their result, which errs on the side of a finding."""
    from presidio_analyzer import pattern_recognizer

    pattern_recognizer.REGEX_TIMEOUT_SECONDS = PATTERN_TIMEOUT_S  # type: ignore[assignment]
