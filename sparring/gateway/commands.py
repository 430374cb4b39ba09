"""`sparring gateway serve` and `sparring gateway config` (registered by the CLI)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import yaml


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `sparring gateway ...` on the CLI's subparsers."""
    p = sub.add_parser("gateway", help="the organisation's AI gateway: a LiteLLM proxy with Sparring's policy")
    gsub = p.add_subparsers(dest="gateway_command", metavar="SUBCOMMAND")
    gsub.required = True

    s = gsub.add_parser("serve", parents=[common], help="run a LiteLLM proxy with the Sparring guardrail")
    s.add_argument("--host", default=None, help="address to listen on (default: [gateway] host, 127.0.0.1)")
    s.add_argument("--port", type=int, default=None, help="port to listen on (default: [gateway] port, 4000)")
    s.set_defaults(func=cmd_serve)

    c = gsub.add_parser("config", parents=[common], help="print the equivalent LiteLLM proxy config (YAML)")
    c.set_defaults(func=cmd_config)


def _config(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any]]:
    from ..cli.common import UsageError, resolve_root
    from ..config import load_settings
    from .litellm_config import GatewayConfigError, litellm_config

    root = resolve_root(args)
    settings = load_settings(root)
    try:
        return root, settings, litellm_config(settings, root)
    except GatewayConfigError as e:
        raise UsageError(str(e)) from None


def cmd_config(args: argparse.Namespace) -> int:
    _, _, doc = _config(args)
    sys.stdout.write("# LiteLLM proxy config from sparring.toml [gateway]; keys are read from the environment\n")
    sys.stdout.write(yaml.safe_dump(doc, sort_keys=False))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ..cli.common import UsageError
    from .litellm_config import OFFLINE_ENV, GatewayConfigError, check_master_key

    root, settings, doc = _config(args)
    try:
        check_master_key(settings)
    except GatewayConfigError as e:
        raise UsageError(str(e)) from None
    for k, v in OFFLINE_ENV.items():  # before litellm is imported: it reads them at import
        os.environ.setdefault(k, v)
    # The config holds no secret (only os.environ/NAME references), so it can live next to the store.
    path = settings.store_path(root).parent / "gateway-litellm.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    host = args.host or settings.gateway.host
    port = args.port or settings.gateway.port
    print(f"sparring gateway: LiteLLM proxy on http://{host}:{port} with policy '{settings.gateway.policy}' "
          f"(config {path})", file=sys.stderr)
    from litellm.proxy.proxy_cli import run_server

    run_server.main(args=["--config", str(path), "--host", host, "--port", str(port)], prog_name="litellm",
                    standalone_mode=False)
    return 0
