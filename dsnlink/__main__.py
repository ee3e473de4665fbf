import sys

from dsnlink.cli import main

sys.exit(main())
