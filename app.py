"""`python app.py`: the Sparring web app on the sample organisation (this folder), at http://127.0.0.1:7860.
Sign in with user `learner`, password `practice`. Set SPARRING_ROOT to serve another organisation."""

import os
from pathlib import Path

from sparring.ui.app import launch

if __name__ == "__main__":
    launch(root=os.environ.get("SPARRING_ROOT") or Path(__file__).resolve().parent)
