"""The browser fixture every browser test module shares: one chromium a module (browser_support.chromium)."""

import pytest
from browser_support import chromium, need_chromium


@pytest.fixture(scope="module")
def browser():
    need_chromium()
    with chromium() as b:
        yield b
