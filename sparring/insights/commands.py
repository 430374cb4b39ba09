"""`sparring export csv|xapi` and `sparring demo-data`: attempts out to spreadsheets or an LRS; a demo data set in."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path


def add_commands(sub, common) -> None:
    """Register this area's sub-commands on the CLI's subparsers."""
    p = sub.add_parser("export", help="attempts out: a CSV file or xAPI statements to a Learning Record Store")
    esub = p.add_subparsers(dest="export_what", metavar="csv|xapi")
    esub.required = True

    c = esub.add_parser("csv", parents=[common], help="one row per attempt, for spreadsheets")
    c.add_argument("--out", required=True, help="CSV file to write")
    c.add_argument("--since", default=None, help="only attempts submitted on or after DATE (YYYY-MM-DD)")
    c.add_argument("--real-work", action="store_true", help="write the AI gateway's real-work events instead of "
                   "attempts (docs/real-work.md)")
    c.add_argument("--json", action="store_true", help="print one JSON document")
    c.set_defaults(func=cmd_export_csv)

    x = esub.add_parser("xapi", parents=[common], help="one xAPI statement per attempt, batched, resumable")
    x.add_argument("--lrs", required=True, help="the LRS xAPI endpoint, e.g. https://lrs.example/xAPI")
    x.add_argument("--user", required=True, help="LRS basic-auth user (key)")
    x.add_argument("--password-env", required=True, metavar="VAR",
                   help="environment variable holding the LRS password (never on the command line)")
    x.add_argument("--since", default=None, help="only attempts submitted on or after DATE (YYYY-MM-DD)")
    x.add_argument("--batch", type=int, default=100, help="statements per POST (default 100)")
    x.add_argument("--restart", action="store_true", help="ignore where the last run stopped and send "
                   "everything again (the LRS keeps one copy of each statement)")
    x.add_argument("--retries", type=int, default=5, help="tries per batch after the first (default 5)")
    x.add_argument("--json", action="store_true", help="print one JSON document")
    x.set_defaults(func=cmd_export_xapi)

    d = sub.add_parser("demo-data", parents=[common], help="fill the store with a seeded, realistic demo data set "
                       "for the Insights tab (replaces earlier demo rows only)")
    d.add_argument("--learners", type=int, default=200)
    d.add_argument("--weeks", type=int, default=12)
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--start", default=None, help="first Monday of the data (YYYY-MM-DD; default: WEEKS weeks before this week, so "
                   "the data ends last Sunday)")
    d.add_argument("--json", action="store_true", help="print one JSON document")
    d.set_defaults(func=cmd_demo)

    i = sub.add_parser("insights", help="behaviour figures on the command line")
    isub = i.add_subparsers(dest="insights_what", metavar="real-work")
    isub.required = True
    r = isub.add_parser("real-work", parents=[common], help="AI requests through the gateway per team: slips per "
                        "100 requests, blocked, by entity type (teams of at least 5 people)")
    r.add_argument("--since", default=None, help="only requests on or after DATE (YYYY-MM-DD)")
    r.add_argument("--json", action="store_true", help="print one JSON document")
    r.set_defaults(func=cmd_real_work)


def _date(value: str | None, flag: str) -> str | None:
    from ..cli.common import UsageError

    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"{flag} {value!r}: give a date as YYYY-MM-DD, e.g. 2025-03-01") from None


def _org_store(args: argparse.Namespace):
    from ..cli.common import resolve_root
    from ..organisation import load_org
    from ..store.db import open_store

    org = load_org(resolve_root(args))
    return org, open_store(org)


def cmd_export_csv(args: argparse.Namespace) -> int:
    from ..cli.common import emit_json
    from .export import write_csv, write_real_work_csv

    since = _date(args.since, "--since")
    org, store = _org_store(args)
    out = Path(args.out)
    n = (write_real_work_csv if args.real_work else write_csv)(store, out, since=since)
    if args.json:
        emit_json({"ok": True, "rows": n, "out": str(out)})
    else:
        print(f"wrote {n} {'real-work events' if args.real_work else 'attempts'} to {out}")
    return 0


def cmd_export_xapi(args: argparse.Namespace) -> int:
    from ..cli.common import UsageError, emit_json
    from .export import ExportError, LRSClient, export_real_work_xapi, export_xapi

    since = _date(args.since, "--since")
    if args.batch < 1 or args.batch > 10_000:
        raise UsageError("--batch must be between 1 and 10000")
    if not args.lrs.startswith(("http://", "https://")):
        raise UsageError(f"--lrs {args.lrs!r}: give the LRS endpoint URL, e.g. https://lrs.example/xAPI")
    password = os.environ.get(args.password_env)
    if password is None:
        raise UsageError(f"--password-env {args.password_env}: that environment variable is not set; "
                         f"export {args.password_env}=... first")
    org, store = _org_store(args)
    client = LRSClient(args.lrs, args.user, password, retries=max(0, args.retries))
    key = client.url

    def progress(sent: int, cursor: int) -> None:
        if not args.json:
            print(f"  sent {sent} statements (up to attempt #{cursor})", file=sys.stderr)

    try:
        res = export_xapi(org, store, client, lrs_key=key, since=since, batch=args.batch, restart=args.restart,
                          progress=progress)
        # the gateway's real-work events follow as their own statements, with their own cursor
        res.update(export_real_work_xapi(org, store, client, lrs_key=key, since=since, batch=args.batch,
                                         restart=args.restart))
    except ExportError as e:
        print(f"sparring export xapi: {e}", file=sys.stderr)
        return 1
    if args.json:
        emit_json({"ok": True, "lrs": key, **res})
    else:
        print(f"sent {res['sent']} statements in {res['batches']} batches to {key}"
              + ("" if res["sent"] else " (nothing new since the last run; --restart sends everything again)"))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..cli.common import UsageError, emit_json
    from . import demo

    if not 1 <= args.learners <= 5000:
        raise UsageError("--learners must be between 1 and 5000")
    if not 1 <= args.weeks <= 104:
        raise UsageError("--weeks must be between 1 and 104")
    start_iso = _date(args.start, "--start") if args.start else None
    start = date.fromisoformat(start_iso) if start_iso else demo.recent_start(args.weeks)
    org, store = _org_store(args)
    try:
        counts = demo.write(store, org, learners=args.learners, weeks=args.weeks, seed=args.seed, start=start)
    except ValueError as e:
        print(f"sparring demo-data: {e}", file=sys.stderr)
        return 1
    if args.json:
        emit_json({"ok": True, **counts, "store": str(store.path)})
    else:
        print(f"demo data: {counts['learners']} learners, {counts['attempts']} attempts, {counts['reviews']} "
              f"reviews ({counts['overrides']} mentor grades) in {store.path}")
    return 0


def cmd_real_work(args: argparse.Namespace) -> int:
    from ..cli.common import emit_json
    from .real_work import summary

    since = _date(args.since, "--since")
    _, store = _org_store(args)
    doc = summary(store, since=since)
    if args.json:
        emit_json(doc)
        return 0
    if not doc["teams"]:
        print("no requests through the gateway yet" + (f" since {since}" if since else ""))
    for t in doc["teams"]:
        ents = ", ".join(f"{k} {v}" for k, v in t["by_entity"].items()) or "none"
        print(f"{t['team']:<20} {t['requests']:>6} requests  {t['slips_per_100']:>5.1f} slips per 100  "
              f"{t['blocked']:>4} blocked  findings: {ents}")
    print(f"{doc['learners']} learners", file=sys.stderr)
    if doc["hidden_teams"]:
        print(f"{doc['hidden_teams']} team(s) with fewer than {doc['min_team']} people not shown", file=sys.stderr)
    return 0
