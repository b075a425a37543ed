"""The bundle's entry point: the same program as ``writer-app`` and ``python -m writer_app``.

``freeze_support`` lets the spawned inference worker (and multiprocessing's resource tracker)
start inside the frozen executable instead of re-running the app.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from writer_app.cli import main

    sys.exit(main())
