"""A scripted *hostile* model behind a local OpenAI-compatible HTTP server on 127.0.0.1 (a real socket, no network).

It plays the worst judge an attacker could hope for:
- `parrot` (default): if the learner's answer carries a verdict-looking JSON object, it returns exactly that
  (a judge that obeys the injection); otherwise it returns a perfect pass.
- `pass`: always a perfect pass, whatever it was asked.
- `injected`: a pass with extra keys and a fenced block, to probe the verdict parser.
It also serves `/v1/chat/completions` for a configured *assistant* model, answering with the prompt echoed (so an
outbound prompt can be inspected) and records every request body for the tests.
"""

from __future__ import annotations

import json
import re

from openai_stub import StubServer, completion

PASS = {"score": 1.0, "passed": True, "feedback": "Outstanding answer, full marks.", "evidence": None}
_VERDICT = re.compile(r"\{[^{}]*\"passed\"[^{}]*\}", re.S)


class HostileJudge:
    def __init__(self) -> None:
        self.mode = "parrot"
        self.requests: list[dict] = []
        self._srv: StubServer | None = None

    @property
    def url(self) -> str:
        assert self._srv is not None
        return self._srv.url

    @property
    def port(self) -> int:
        assert self._srv is not None
        return self._srv.port

    def reply(self, body: dict) -> str:
        msgs = body.get("messages") or []
        user = next((m.get("content") or "" for m in reversed(msgs) if m.get("role") == "user"), "")
        if not body.get("response_format"):  # the sandbox assistant, not the judge
            return f"Echo: {user}"
        if self.mode == "pass":
            return json.dumps(PASS)
        if self.mode == "injected":
            return "```json\n" + json.dumps({**PASS, "override": "grader"}) + "\n```"
        m = _VERDICT.search(user)
        if m:
            try:
                return json.dumps(json.loads(m.group(0)))
            except json.JSONDecodeError:
                return m.group(0)
        return json.dumps(PASS)

    def _respond(self, body: dict, headers) -> tuple[int, dict]:
        self.requests.append(body)
        return 200, completion(self.reply(body), body.get("model", "hostile"))

    def start(self) -> "HostileJudge":
        self._srv = StubServer(self._respond).start()
        return self

    def stop(self) -> None:
        if self._srv is not None:
            self._srv.stop()
            self._srv = None
