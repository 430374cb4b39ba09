"""The database schema as an ordered list of migrations. A database records the last migration applied in
`schema_version`; opening it applies the newer ones in order, each in its own transaction.

Rules for changing the schema: never edit a migration that has shipped; append a new one. Columns holding text a
learner or mentor typed (answers, feedback, questions, comments) only ever receive redacted text: see
sparring/practice.py, which is the one writer of attempts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str  # SQLite's SQL; on PostgreSQL it runs through dialect.postgres_ddl
    postgres_extra: str = ""  # statements only PostgreSQL runs, after `sql` (what SQLite has built in)


MIGRATIONS: list[Migration] = [
    Migration(1, "initial tables", """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    roles TEXT NOT NULL DEFAULT '["learner"]',      -- JSON list of app roles (learner, mentor, ...)
    team TEXT,
    display_name TEXT,
    password_hash TEXT,                             -- scrypt$N$r$p$salt$hash; NULL in trusted-header mode
    created_at TEXT NOT NULL,
    job_roles TEXT NOT NULL DEFAULT '[]'            -- JSON list of scenario roles (customer-support, ...)
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    learner TEXT NOT NULL,
    scenario TEXT NOT NULL,
    kind TEXT NOT NULL,
    skills TEXT NOT NULL,                           -- JSON list, copied so insights survive scenario edits
    roles TEXT NOT NULL,                            -- JSON list of the scenario's roles
    started_at TEXT,
    submitted_at TEXT NOT NULL,
    duration_s REAL,
    answer TEXT NOT NULL,                           -- JSON, redacted
    passed INTEGER NOT NULL,
    score REAL NOT NULL,
    verdict TEXT,                                   -- policy verdict of the learner's text
    blocked INTEGER NOT NULL DEFAULT 0,
    assistant_status TEXT,
    gaming TEXT NOT NULL DEFAULT '[]',              -- JSON list of signal codes (see practice.GAMING_SIGNALS)
    grade TEXT NOT NULL,                            -- JSON GradeResult.public(), redacted
    confidence REAL,                                -- trust: the learner's confidence, for calibration
    decision TEXT                                   -- trust: use / verify / reject
);
CREATE INDEX IF NOT EXISTS attempts_learner ON attempts(learner, scenario, submitted_at);
CREATE INDEX IF NOT EXISTS attempts_scenario ON attempts(scenario, submitted_at);
CREATE TABLE IF NOT EXISTS criterion_results (
    attempt_id INTEGER NOT NULL REFERENCES attempts(id),
    criterion TEXT NOT NULL,
    "check" TEXT,
    passed INTEGER NOT NULL,
    score REAL NOT NULL,
    required INTEGER NOT NULL,
    weight REAL NOT NULL,
    feedback TEXT,                                  -- redacted
    PRIMARY KEY (attempt_id, criterion)
);
CREATE TABLE IF NOT EXISTS findings (               -- never the raw text of a finding
    attempt_id INTEGER NOT NULL REFERENCES attempts(id),
    entity TEXT NOT NULL,
    action TEXT NOT NULL,
    rule TEXT,
    score REAL,
    start INTEGER,
    "end" INTEGER
);
CREATE INDEX IF NOT EXISTS findings_attempt ON findings(attempt_id);
CREATE TABLE IF NOT EXISTS schedule (
    learner TEXT NOT NULL,
    scenario TEXT NOT NULL,
    due TEXT NOT NULL,
    card TEXT NOT NULL,                             -- fsrs Card.to_json()
    updated_at TEXT NOT NULL,
    last_rating INTEGER,
    PRIMARY KEY (learner, scenario)
);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER NOT NULL REFERENCES attempts(id),
    learner TEXT NOT NULL,
    question TEXT,                                  -- redacted
    status TEXT NOT NULL DEFAULT 'open',            -- open | answered
    mentor TEXT,
    comment TEXT,                                   -- redacted
    created_at TEXT NOT NULL,
    answered_at TEXT
);
CREATE INDEX IF NOT EXISTS reviews_status ON reviews(status, created_at);
CREATE TABLE IF NOT EXISTS overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    review_id INTEGER REFERENCES reviews(id),
    attempt_id INTEGER NOT NULL REFERENCES attempts(id),
    criterion TEXT NOT NULL,
    auto_passed INTEGER NOT NULL,
    mentor_passed INTEGER NOT NULL,
    mentor TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_events (           -- names only, never passwords
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    reason TEXT                                     -- ok | bad password | unknown user | locked
);
CREATE INDEX IF NOT EXISTS login_events_name ON login_events(name, at);
""", postgres_extra="""
-- SQLite's implicit rowid, which screens and exports order criteria by (the rubric's order): a real column here
ALTER TABLE criterion_results ADD COLUMN rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
"""),
    # insights helper: where `sparring export xapi` stopped, per LRS (resume after a failure); reviews by learner
    Migration(2, "xapi export cursor", """
CREATE TABLE IF NOT EXISTS xapi_cursor (
    lrs TEXT PRIMARY KEY,                           -- the LRS endpoint URL
    last_attempt_id INTEGER NOT NULL,               -- attempts with a larger id are still to send
    sent INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_learner ON reviews(learner, created_at);
CREATE INDEX IF NOT EXISTS overrides_review ON overrides(review_id);
"""),
    # verdict helper (issue 12): a criterion that could not be checked is `ungraded`, not failed; an attempt whose
    # verdict waits for a mentor on such a criterion is counted apart from failures (sparring/grading/verdict.py)
    Migration(3, "ungraded criteria and attempts", """
ALTER TABLE criterion_results ADD COLUMN ungraded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN ungraded INTEGER NOT NULL DEFAULT 0;
"""),
    # learning from reviews (sparring/review.py, docs/authoring.md): a mentor's override of a criterion becomes a
    # labelled example of it, used by the example-aware `semantic` grader only once an author accepts it
    Migration(4, "examples from reviews", """
CREATE TABLE IF NOT EXISTS review_examples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario TEXT NOT NULL,
    criterion TEXT NOT NULL,
    answer TEXT NOT NULL,                           -- JSON, redacted (policy.redact_for_storage); never raw
    passed INTEGER NOT NULL,                        -- the label: the mentor's grade of the criterion
    source TEXT NOT NULL DEFAULT 'review',          -- where the label comes from
    review_id INTEGER REFERENCES reviews(id),
    attempt_id INTEGER REFERENCES attempts(id),
    mentor TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',         -- pending | accepted | rejected
    decided_by TEXT,                                -- the author who accepted or rejected it
    decided_at TEXT
);
CREATE INDEX IF NOT EXISTS review_examples_scenario ON review_examples(scenario, status, criterion);
"""),
    # gateway helper: one row per request through the organisation's AI gateway (sparring/gateway). Counts and
    # labels only: never the text of the request, not even redacted (docs/real-work.md says so to the works council)
    Migration(5, "real-work events", """
CREATE TABLE IF NOT EXISTS real_work_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,                               -- ISO 8601 UTC
    account TEXT NOT NULL,                          -- a Sparring account name, or 'unknown'
    team TEXT,                                      -- the account's team at the time of the request
    job_roles TEXT NOT NULL DEFAULT '[]',           -- JSON list: the account's scenario roles at that time
    model TEXT,                                     -- the model name the client asked for
    policy TEXT NOT NULL,
    verdict TEXT NOT NULL,                          -- block | redact | warn | allow | error
    findings TEXT NOT NULL DEFAULT '{}',            -- JSON {ENTITY: count} of non-allow findings
    skills TEXT NOT NULL DEFAULT '[]',              -- JSON list: skills of the scenarios that train those entities
    scenarios TEXT NOT NULL DEFAULT '[]'            -- JSON list of those scenario ids (just-in-time practice)
);
CREATE INDEX IF NOT EXISTS real_work_account ON real_work_events(account, at);
CREATE INDEX IF NOT EXISTS real_work_team ON real_work_events(team, at);
CREATE INDEX IF NOT EXISTS real_work_at ON real_work_events(at);
"""),
    # harden helper (issue 14): sign-in lockout kept in the database, not in process memory, so every replica
    # behind a load balancer sees the same locks. One row per (account, source) and one per source alone
    # (account = ''), which has a wider limit: a stranger can lock only their own source out of an account,
    # never the account for everyone. Names and client addresses only, never a password.
    Migration(6, "sign-in lockout per account and source", """
CREATE TABLE IF NOT EXISTS login_locks (
    account TEXT NOT NULL,                          -- the account name tried, or '' for the per-source row
    source TEXT NOT NULL,                           -- the client address the sign-in came from
    failures INTEGER NOT NULL DEFAULT 0,            -- failed sign-ins since window_start
    window_start TEXT NOT NULL,                     -- ISO 8601 UTC; failures older than the window are forgotten
    lockouts INTEGER NOT NULL DEFAULT 0,            -- locks so far: each one lasts twice as long (backoff)
    locked_until TEXT,                              -- ISO 8601 UTC, or NULL when not locked
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account, source)
);
CREATE INDEX IF NOT EXISTS login_locks_source ON login_locks(source);
ALTER TABLE login_events ADD COLUMN source TEXT;
"""),
    # store helper (issue 17): sign-in sessions in the database, not in one process's memory, so a learner signed
    # in through one replica behind the load balancer is signed in on every replica (sparring/ui/sessions.py).
    # Only a hash of each session token is kept: a copy of the database does not sign anyone in.
    Migration(7, "sign-in sessions shared by every replica", """
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,                    -- sha256 of the session cookie's token; never the token
    account TEXT NOT NULL,
    issued_at TEXT NOT NULL,                        -- ISO 8601 UTC
    expires_at TEXT NOT NULL                        -- ISO 8601 UTC: issued_at + [auth] session_hours
);
CREATE INDEX IF NOT EXISTS sessions_account ON sessions(account);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS shared_state (           -- small values every replica must agree on
    key TEXT PRIMARY KEY,                           -- e.g. 'cookie_id': the suffix of the session cookie's name
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""),
]

LATEST = MIGRATIONS[-1].version

# The order `sparring db copy` fills tables in: a table before the tables whose rows refer to it (PostgreSQL
# enforces REFERENCES on every row). A table a new migration adds goes here too (tests/test_store_copy.py checks
# that every table is listed).
COPY_ORDER = ["users", "attempts", "criterion_results", "findings", "schedule", "reviews", "overrides",
              "review_examples", "login_events", "login_locks", "xapi_cursor", "real_work_events", "sessions",
              "shared_state"]
