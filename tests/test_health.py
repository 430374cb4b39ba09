"""/readyz follows the app's model warm-up through its finished event (sparring.ui.context.WarmUp), not by
looking for a thread by name: 503 before the warm-up has run, 200 once it has finished."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.testclient import TestClient

from sparring.organisation import load_org
from sparring.store.db import Store
from sparring.ui.context import WarmUp
from sparring.ui.serve import add_health_routes

REPO = Path(__file__).resolve().parent.parent


def test_readyz_is_503_until_the_warm_up_has_finished(tmp_path):
    store = Store(tmp_path / "s.db")
    warm = WarmUp(load_org(REPO))
    app = FastAPI()
    add_health_routes(app, store, warmup=warm)
    c = TestClient(app)
    try:
        assert c.get("/healthz").status_code == 200  # alive even while loading
        before = c.get("/readyz")
        assert before.status_code == 503 and before.json()["reason"] == "the models are still loading"
        assert warm.start().wait(timeout=600), "the warm-up did not finish in 600 s"
        after = c.get("/readyz")
        assert after.status_code == 200 and after.json()["ready"] is True
        assert after.json()["store"] == "sqlite"
    finally:
        store.close()


def test_readyz_without_a_warm_up_only_needs_the_store(tmp_path):
    store = Store(tmp_path / "s.db")
    app = FastAPI()
    add_health_routes(app, store)
    try:
        assert TestClient(app).get("/readyz").json() == {"ready": True, "store": "sqlite",
                                                         "schema_version": store.schema_version()}
    finally:
        store.close()
