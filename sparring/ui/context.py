"""What every tab's `build(ctx)` receives: the organisation, the store and the warm-up status.

Only process-wide, read-mostly things live here. Per-user state lives in `gr.State` or the database, never in
this object (gradio issues #3824, #4558: module globals leak between users).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..organisation import Organisation

log = logging.getLogger("sparring.ui")


class WarmUp:
    """Loads the heavy models in a background thread so the first learner does not wait on a blank page.

    The page polls `status()` and shows it until everything is ready; a submit that arrives earlier still works
    (it waits for the same singletons) and Gradio shows its progress indicator meanwhile.
    """

    def __init__(self, org: Organisation):
        self.org = org
        self._done = threading.Event()
        self._step = "starting"  # launch() starts the thread once the server is up (first page first)
        self._error: str | None = None
        self._thread: threading.Thread | None = None
        self.seconds: float | None = None

    def start(self) -> "WarmUp":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sparring-warmup", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        t0 = time.perf_counter()
        try:
            for pid in sorted(self.org.policies):
                self._step = f"loading the data-sharing policy '{pid}'"
                self.org.policy_engine(pid).check("Warm-up text for Jane Doe at jane@example.com.")
            embeddings: ModuleType | None
            try:
                embeddings = importlib.import_module("sparring.grading.embeddings")
            except ModuleNotFoundError as e:  # the grading helper's module may not exist in a given build
                if e.name != "sparring.grading.embeddings":
                    raise
                embeddings = None
            if embeddings is not None and hasattr(embeddings, "warm_up"):
                self._step = "loading the language model that compares meanings"
                embeddings.warm_up()
        except Exception as e:  # noqa: BLE001 - shown to the user; grading will report the same error in place
            log.exception("warm-up failed")
            self._error = f"{type(e).__name__}: {e}"
        finally:
            self.seconds = time.perf_counter() - t0
            log.info("warm-up finished in %.1f s%s", self.seconds,
                     f" with an error: {self._error}" if self._error else "")
            self._done.set()

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def status(self) -> tuple[bool, str]:
        """(finished, message for people)."""
        if not self._done.is_set():
            return False, f"Warming up: {self._step}… You can start reading a scenario meanwhile."
        if self._error:
            return True, (f"Some checks could not start ({self._error}). Practice still works; the affected "
                          "criteria will say so. Tell your administrator.")
        return True, "Ready."


@dataclass
class UIContext:
    org: Organisation
    store: Any  # sparring.store.db.Store
    warmup: WarmUp | None = field(default=None)
