"""Sparring: practise judgment with AI tools on your organisation's own work, with rubric feedback at once."""

import os as _os

# Offline by default: set before any library that reads these is imported. An organisation that configures a
# model in sparring.toml opens a connection to that model's host only (see sparring/assistant).
for _k, _v in {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # litellm otherwise fetches its price list at import
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "DO_NOT_TRACK": "1",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",  # tldextract (Presidio's email check): bundled snapshot, no fetch
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # a model loading bar on stderr is noise in the CLI and the server log
    # One torch/OpenMP thread per encode: the app serves many requests at once on few cores, and spinning
    # intra-op threads fighting for them made one MiniLM encode ~10x slower under load (bench/load_bench.py).
    "OMP_NUM_THREADS": "1",
}.items():
    _os.environ.setdefault(_k, _v)

__version__ = "0.1.0"
