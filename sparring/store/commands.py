"""`sparring users add|list|unlock`: built-in accounts in the organisation's store; `sparring db status|upgrade|copy`:
the store itself (schema migrations, moving to another database)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path


def _store(args):
    from ..cli.common import resolve_root
    from ..organisation import load_org
    from .db import apply_db_override, open_store

    org = load_org(resolve_root(args))
    apply_db_override(org)
    return open_store(org)


def cmd_users_add(args: argparse.Namespace) -> int:
    from ..auth import ROLES, check_password_strength, hash_password
    from ..cli.common import UsageError
    from .users import UserError, add_user

    roles = [r.strip() for part in args.role for r in part.split(",") if r.strip()]
    if not roles:
        raise UsageError(f"give --role ({'|'.join(ROLES)})")
    if args.password_env:
        pw = os.environ.get(args.password_env)
        if pw is None:
            raise UsageError(f"--password-env {args.password_env}: that environment variable is not set")
    elif args.no_password:
        pw = None
    else:
        if not sys.stdin.isatty():
            raise UsageError("no terminal to ask for the password; use --password-env VAR (or --no-password "
                             "for trusted-header mode)")
        pw = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != pw:
            print("sparring users add: the two passwords differ; nothing was changed", file=sys.stderr)
            return 1
    try:
        if pw is not None:
            check_password_strength(pw)
        job = [r.strip() for part in args.job_role for r in part.split(",") if r.strip()]
        store = _store(args)
        u = add_user(store, args.name, roles, password_hash=hash_password(pw) if pw is not None else None,
                     team=args.team, display_name=args.display_name, job_roles=job, replace=args.replace)
    except UserError as e:
        print(f"sparring users add: {e}", file=sys.stderr)
        return 1
    print(f"{'updated' if args.replace else 'added'} {u.name} ({', '.join(u.roles)})"
          + (f", team {u.team}" if u.team else "") + f" in {store.path}")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from ..cli.common import emit_json
    from .users import list_users

    users = list_users(_store(args))
    if args.json:
        emit_json([u.model_dump() for u in users])
        return 0
    for u in users:
        print(f"{u.name:<20} {','.join(u.roles):<28} {u.team or '-':<24} {u.display_name or ''}")
    if not users:
        print("no users yet: add one with `sparring users add NAME --role learner`", file=sys.stderr)
    return 0


def cmd_users_unlock(args: argparse.Namespace) -> int:
    """Lift a sign-in lock. Run by whoever can open the store; `--by` names the mentor or admin doing it, and is
    refused for anyone else, so the unlock is attributable and a learner's account cannot be used for it."""
    from ..auth import locks, unlock
    from .users import get_user

    store = _store(args)
    if args.list:
        rows = locks(store)
        for r in rows:
            print(f"{r['account'] or '(every account)':<20} from {r['source']:<24} until {r['locked_until']}")
        if not rows:
            print("no sign-in is locked", file=sys.stderr)
        return 0
    if not args.name:
        print("sparring users unlock: give the account NAME (or --list)", file=sys.stderr)
        return 2
    by = get_user(store, args.by) if args.by else None
    if args.by and (by is None or not by.has("mentor")):
        print(f"sparring users unlock: --by {args.by}: only a mentor or admin may unlock accounts", file=sys.stderr)
        return 1
    if get_user(store, args.name) is None:
        print(f"sparring users unlock: there is no account named '{args.name}' (see `sparring users list`)",
              file=sys.stderr)
        return 1
    n = unlock(store, args.name, args.source)
    print(f"unlocked {args.name}: {n} lock{'s' if n != 1 else ''} lifted" + (f" (by {args.by})" if args.by else ""))
    return 0


def add_commands(sub, common) -> None:
    """Register this area's sub-commands on the CLI's subparsers."""
    add_db_commands(sub, common)
    p = sub.add_parser("users", parents=[common], help="built-in accounts (add, list, unlock)")
    usub = p.add_subparsers(dest="users_command", metavar="ACTION")
    usub.required = True

    a = usub.add_parser("add", parents=[common], help="add an account (the password is asked, or read from "
                        "--password-env)")
    a.add_argument("name")
    a.add_argument("--role", action="append", required=True,
                   help="learner, mentor, author, compliance or admin; repeat or comma-separate for several")
    a.add_argument("--team", default=None, help="team name; also puts scenarios for that role first")
    a.add_argument("--display-name", default=None)
    a.add_argument("--job-role", action="append", default=[],
                   help="scenario role(s) shown first in the catalogue, e.g. customer-support")
    g = a.add_mutually_exclusive_group()
    g.add_argument("--password-env", metavar="VAR", default=None,
                   help="read the password from this environment variable instead of asking")
    g.add_argument("--no-password", action="store_true",
                   help="no password: the account signs in only through a trusted header (SSO proxy)")
    a.add_argument("--replace", action="store_true", help="update an existing account")
    a.set_defaults(func=cmd_users_add)

    ls = usub.add_parser("list", parents=[common], help="list accounts (never passwords)")
    ls.add_argument("--json", action="store_true", help="print one JSON document")
    ls.set_defaults(func=cmd_users_list)

    un = usub.add_parser("unlock", parents=[common], help="lift the sign-in lock on an account (mentor or admin)")
    un.add_argument("name", nargs="?", default=None, help="the account to unlock")
    un.add_argument("--source", default=None, help="only the lock from this client address")
    un.add_argument("--by", default=None, help="the mentor or admin account doing it (checked)")
    un.add_argument("--list", action="store_true", help="list the locks in force instead")
    un.set_defaults(func=cmd_users_unlock)


# ------------------------------------------------------------------------------------------ sparring db


def _target(args: argparse.Namespace):
    """The organisation's store target (URL or file) and its settings, without opening it."""
    from ..cli.common import resolve_root
    from ..organisation import load_org
    from .db import apply_db_override, store_target

    org = load_org(resolve_root(args))
    apply_db_override(org)
    return org, store_target(org.settings, org.root)


def cmd_db_status(args: argparse.Namespace) -> int:
    from ..cli.common import emit_json
    from .db import Store, StoreError
    from .schema import LATEST

    _, target = _target(args)
    try:
        store = Store(target, migrate=False)
    except StoreError as e:
        print(f"sparring db status: {e}", file=sys.stderr)
        return 1
    version = store.schema_version()
    doc = {"backend": store.backend, "store": str(store.path), "schema_version": version, "latest": LATEST,
           "pending": max(0, LATEST - version), "tables": {t: store.count(t) for t in store.table_names()}}
    store.close()
    if args.json:
        emit_json(doc)
    else:
        print(f"{doc['backend']} store {doc['store']}: schema version {version} of {LATEST}"
              + (f" ({doc['pending']} to apply: run `sparring db upgrade`)" if doc["pending"] else " (up to date)"))
    return 1 if version > LATEST else 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from ..cli.common import emit_json
    from .db import Store, StoreError

    _, target = _target(args)
    try:
        store = Store(target, migrate=False)
        before = store.schema_version()
        after = store.migrate()
    except StoreError as e:
        print(f"sparring db upgrade: {e}", file=sys.stderr)
        return 1
    store.close()
    if args.json:
        emit_json({"ok": True, "store": str(store.path), "from": before, "to": after})
    else:
        print(f"{store.path}: schema version {before} → {after}" if after != before else
              f"{store.path}: already at schema version {after}; nothing to apply")
    return 0


def cmd_db_copy(args: argparse.Namespace) -> int:
    from ..cli.common import emit_json
    from .copy import CopyError, copy_store
    from .db import Store, StoreError, is_url

    _, source_target = _target(args)
    dest = args.to if is_url(args.to) else str(Path(args.to).resolve())
    try:
        source = Store(source_target)
        target = Store(dest)
    except StoreError as e:
        print(f"sparring db copy: {e}", file=sys.stderr)
        return 1
    try:
        report = copy_store(source, target, None if args.json else
                            lambda t, n: print(f"  {t:<20} {n:>8} rows", file=sys.stderr))
    except (CopyError, StoreError) as e:
        print(f"sparring db copy: {e}", file=sys.stderr)
        return 1
    finally:
        source.close()
        target.close()
    if args.json:
        emit_json({"ok": True, "source": report.source, "target": report.target, "rows": report.rows,
                   "total": report.total})
    else:
        print(f"copied {report.total} rows in {len(report.rows)} tables from {report.source} to {report.target}; "
              "every table's count verified")
    return 0


def add_db_commands(sub, common) -> None:
    p = sub.add_parser("db", parents=[common], help="the database: status, upgrade (migrations), copy to another")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION")
    dsub.required = True
    s = dsub.add_parser("status", parents=[common], help="backend, schema version, rows per table")
    s.add_argument("--json", action="store_true", help="print one JSON document")
    s.set_defaults(func=cmd_db_status)
    u = dsub.add_parser("upgrade", parents=[common], help="apply the schema migrations this Sparring knows")
    u.add_argument("--json", action="store_true", help="print one JSON document")
    u.set_defaults(func=cmd_db_upgrade)
    c = dsub.add_parser("copy", parents=[common], help="copy every row to another (empty) database, and verify "
                        "the counts")
    c.add_argument("--to", required=True, metavar="URL", help="postgresql://USER@HOST:PORT/DB (or a SQLite file)")
    c.add_argument("--json", action="store_true", help="print one JSON document")
    c.set_defaults(func=cmd_db_copy)
