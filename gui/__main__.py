"""`python -m gui`: the tray app (gui/launch.py)."""

import sys

from gui.launch import main

sys.exit(main())
