"""``python -m writer_app`` is the same entry point as ``writer-app``."""

import sys

from writer_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
