"""`python -m sparring.cli ...`: the same as the `sparring` console script."""

import sys

from . import main

sys.exit(main())
