"""The organisation's settings, from ROOT/sparring.toml. Every key has a default, so the file is optional."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .content.problems import ContentError, Problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Strict):
    path: str = Field("data/sparring.db", description="SQLite file, relative to ROOT (used when no url is set).")
    url: str | None = Field(None, description="PostgreSQL database, postgresql://USER@HOST:PORT/DATABASE (a "
                            "password is better in ~/.pgpass or $PGPASSWORD than here); $SPARRING_STORE_URL "
                            "overrides it. Set, it replaces the SQLite file: several `sparring serve` replicas "
                            "share it (docs/operations.md).")
    pool_size: int = Field(10, ge=1, le=200, description="PostgreSQL connections each process keeps at most.")


class ModelSettings(_Strict):
    model: str = Field(description="A litellm model name, e.g. openai/gpt-4o-mini.")
    api_base: str | None = Field(None, description="Base URL of the model's API.")
    api_key_env: str | None = Field(None, description="Environment variable holding the key; never the key.")
    timeout_s: float = Field(20, gt=0, le=600)
    retries: int = Field(1, ge=0, le=5)
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(800, ge=1, le=32000)

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    def client_key(self) -> str:
        """The key to hand to litellm. A keyless server (a local vLLM or Ollama) still needs some value, or the
        OpenAI client refuses to send the request with "Missing credentials"."""
        return self.api_key() or "sk-not-needed"


class LimitSettings(_Strict):
    max_answer_chars: int = Field(20_000, ge=100, le=1_000_000, description="Longest answer accepted.")
    max_flags: int = Field(200, ge=1)
    max_yaml_bytes: int = Field(2_000_000, ge=1000)


class AuthSettings(_Strict):
    mode: Literal["builtin", "header", "none"] = Field("builtin", description="builtin accounts, a trusted header "
                                                        "set by an SSO proxy, or none (single-user demo).")
    header: str = Field("X-Forwarded-User", description="Header carrying the user name in header mode.")
    session_hours: float = Field(12, gt=0, description="Sessions expire after this long.")
    max_login_failures: int = Field(5, ge=1, description="Failed logins per user per 15 minutes before lockout.")
    demo_accounts: bool = Field(False, description="Create the documented demo accounts (password `practice`) "
                                "at first start when there are no users yet. For trying Sparring out only.")


class ServerSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = 7860
    concurrency: int = Field(2, ge=1, le=256, description="Events of one kind handled at once (all submits "
                             "share one group). Grading is CPU-bound: about one per core; more only adds thread "
                             "switching and makes every learner wait longer (bench/load_bench.py).")
    max_queue: int = Field(256, ge=1)


class GatewayModelSettings(_Strict):
    model: str = Field(description="The litellm model the gateway forwards to, e.g. openai/gpt-4o-mini.")
    api_base: str | None = Field(None, description="Base URL of the model's API.")
    api_key_env: str | None = Field(None, description="Environment variable holding the model's key; never the "
                                    "key.")
    mock_response: str | None = Field(None, description="A fixed answer instead of calling any model (trying the "
                                      "gateway out, tests, benchmarks).")


class GatewaySettings(_Strict):
    policy: str = Field("external-ai", description="The policy id every request through the gateway is checked "
                        "against.")
    master_key_env: str = Field("SPARRING_GATEWAY_KEY", description="Environment variable holding the proxy's "
                                "master key (at least 32 characters); never the key.")
    fail_open: bool = Field(False, description="When the policy engine fails, let the request through unchecked "
                            "(recorded as verdict `error`) instead of refusing it.")
    record: bool = Field(True, description="Store one real-work event per request (docs/real-work.md); false "
                         "keeps enforcing the policy but stores nothing.")
    host: str = Field("127.0.0.1", description="Address `sparring gateway serve` listens on.")
    port: int = Field(4000, ge=1, le=65535, description="Port `sparring gateway serve` listens on.")
    models: dict[str, GatewayModelSettings] = Field(default_factory=dict, description="Model names clients ask "
                                                    "for → where the gateway sends them (LiteLLM model_list).")


class Settings(_Strict):
    store: StoreSettings = Field(default_factory=StoreSettings)
    models: dict[str, ModelSettings] = Field(default_factory=dict)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    organisation: str = Field("Sample organisation", description="Name shown in the app.")
    url: str | None = Field(None, description="The organisation's home page URL; xAPI statements identify learners "
                            "as accounts on it (default https://sparring.local).")

    def store_path(self, root: Path) -> Path:
        p = Path(self.store.path)
        return p if p.is_absolute() else root / p


def load_settings(root: Path) -> Settings:
    path = root / "sparring.toml"
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, OSError) as e:
        raise ContentError([Problem(str(path), 1, 1, f"cannot read settings: {e}", "save it as UTF-8 TOML text")]) \
            from None
    except tomllib.TOMLDecodeError as e:
        # tomllib puts "(at line L, column C)" in the message
        m = re.search(r"line (\d+), column (\d+)", str(e))
        line, col = (int(m[1]), int(m[2])) if m else (1, 1)
        raise ContentError([Problem(str(path), line, col, f"TOML syntax error: {e}", "fix the line")]) from None
    try:
        return Settings.model_validate(data)
    except ValidationError as e:
        text = path.read_text(encoding="utf-8")
        raise ContentError([Problem(str(path), *key_position(text, x["loc"]),
                                    f"{'.'.join(map(str, x['loc']))}: {x['msg']}", "see docs/operations.md")
                            for x in e.errors()]) from None


_TABLE = re.compile(r"^\[\[?\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"^((?:[A-Za-z0-9_-]+|\"[^\"]*\")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"))*)\s*=")


def _dotted(s: str) -> list[str]:
    return [p.strip().strip('"') for p in s.split(".")]


def key_position(text: str, loc: tuple[int | str, ...]) -> tuple[int, int]:
    """(line, column) in the TOML `text` of the key at pydantic's error location `loc` (e.g. ('limits',
    'max_answer_chars')): the key's own line, else the line of the deepest table header on its path, else 1:1."""
    want = [str(p) for p in loc]
    table: list[str] = []
    best, best_len = (1, 1), 0
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        col = len(line) - len(stripped) + 1
        if (m := _TABLE.match(stripped)):
            table = _dotted(m[1])
            if table == want[:len(table)] and len(table) > best_len:
                best, best_len = (n, col), len(table)
        elif (m := _KEY.match(stripped)):
            key = table + _dotted(m[1])
            if key == want[:len(key)] and len(key) > len(table) and len(key) > best_len:
                best, best_len = (n, col), len(key)
                if len(key) >= len(want):
                    return best
    return best
