"""`python -m api ...` runs the `dsnlink` command (as the console script does)."""

import sys

from api.cli import main

sys.exit(main())
