"""`python -m dsnlink ...` runs the core commands; the `dsnlink` console script (api.cli) adds
`serve` and `demo`."""

import sys

from dsnlink.cli import main

sys.exit(main())
