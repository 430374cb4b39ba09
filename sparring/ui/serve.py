"""Starting a Gradio app without Gradio's "can the browser reach localhost?" probe.

`Blocks.launch()` sends one HEAD request to its own URL with a 3-second timeout and, if that times out, refuses to
start ("When localhost is not accessible, a shareable link must be created"). On a busy 2-core machine the first
request can take longer than 3 s, so the app (and every test that serves it) failed to start for no fault of its
own. The probe's only remedy is a public share link, which Sparring never wants (nothing leaves the building), so
we skip it: `_frontend=False` gates nothing else in Gradio 6.31 (blocks.py: it is read only by that check).
"""

from __future__ import annotations

from typing import Any

import gradio as gr


def start(blocks: gr.Blocks, **launch_kwargs: Any) -> None:
    """`blocks.launch(**launch_kwargs)`, returning once the server listens (prevent_thread_lock), never sharing."""
    launch_kwargs.setdefault("prevent_thread_lock", True)
    blocks.launch(share=False, _frontend=False, **launch_kwargs)
