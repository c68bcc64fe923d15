"""``python -m onlinetracker``: the same as the ``onlinetracker`` script."""

import sys

from onlinetracker.cli import main

sys.exit(main())
