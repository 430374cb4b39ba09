"""A local OpenAI-compatible chat-completions server on 127.0.0.1 for tests: a real socket, no network.

The tests that need a model (the sandbox assistant, `llm_judge`, the hostile judge of the gaming suite) differ
only in what they answer; the HTTP plumbing is here once.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping

# respond(request body, request headers) -> (HTTP status, JSON document)
Respond = Callable[[dict, Mapping[str, str]], tuple[int, dict]]


def completion(content: str, model: str = "stub") -> dict:
    """A chat.completion document whose one choice says `content`."""
    return {"id": "chatcmpl-local", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


class StubServer:
    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self._srv: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._srv is not None, "start() the server first"
        return self._srv.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "StubServer":
        respond = self.respond

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                n = int(self.headers.get("Content-Length", 0))
                try:
                    body = json.loads(self.rfile.read(n) or b"{}")
                except json.JSONDecodeError:
                    body = {}
                status, doc = respond(body, self.headers)
                data = json.dumps(doc).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
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
