"""``python -m bot`` is the same as ``tdkt-bot``."""

import sys

from bot.cli import main

sys.exit(main())
