"""Run by test_recovery.py: the app types a piece of Chinese every 100 ms until it is killed."""

from __future__ import annotations

import os
import sys
import time

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from guihelp import type_chinese  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from writer_app.config import AppPaths, Settings  # noqa: E402
from writer_app.gui.app import create_window, make_application  # noqa: E402
from writer_app.gui.panels import TAB_DRAFT  # noqa: E402


def main() -> None:
    app = make_application()
    w = create_window(AppPaths.from_env(), Settings())
    w.show()
    w.start(load_model=False)
    while w.project is None:
        app.processEvents()
        time.sleep(0.01)
    w.tabs.setCurrentIndex(TAB_DRAFT)
    print(f"project {w.project.id}", flush=True)
    i = 0
    while True:
        type_chinese(w.draft_tab.editor, f"第{i}句。")
        print(f"piece {i}", flush=True)
        i += 1
        end = time.monotonic() + 0.1
        while time.monotonic() < end:
            QApplication.processEvents()
            time.sleep(0.005)


if __name__ == "__main__":
    sys.exit(main())
