"""`python -m slawatch` is the same as the `slawatch` command."""

import sys

from slawatch.cli import main

sys.exit(main())
