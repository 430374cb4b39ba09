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
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PASS = {"score": 1.0, "passed": True, "feedback": "Outstanding answer, full marks.", "evidence": None}
_VERDICT = re.compile(r"\{[^{}]*\"passed\"[^{}]*\}", re.S)


class HostileJudge:
    def __init__(self) -> None:
        self.mode = "parrot"
        self.requests: list[dict] = []
        self._srv: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._srv is not None
        return f"http://127.0.0.1:{self._srv.server_address[1]}/v1"

    @property
    def port(self) -> int:
        assert self._srv is not None
        return self._srv.server_address[1]

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

    def start(self) -> "HostileJudge":
        judge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                try:
                    body = json.loads(self.rfile.read(n) or b"{}")
                except json.JSONDecodeError:
                    body = {}
                judge.requests.append(body)
                content = judge.reply(body)
                data = json.dumps({
                    "id": "chatcmpl-hostile", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "hostile"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._srv.daemon_threads = True
        threading.Thread(target=self._srv.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._srv is not None:
            self._srv.shutdown()
            self._srv.server_close()
            self._srv = None
