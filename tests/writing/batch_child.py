"""Child process for the batch kill -9 test: works off batch BATCH_ID in DATA_DIR, each
critique taking DELAY seconds, printing "done <project id>" after each essay is stored.

python batch_child.py DATA_DIR BATCH_ID DELAY
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from writer_app.analysis.metrics import Analyzer
from writer_app.config import AppPaths
from writer_app.llm.engine import CancelToken
from writer_app.resources import resources_dir
from writer_app.storage.library import Library
from writer_app.writing.batch import run_batch


def main() -> None:
    data, batch_id, delay = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    lib = Library.open(AppPaths(data_dir=data, config_dir=data), Analyzer(resources_dir()), backup=False)

    def one(project, cancel):
        time.sleep(delay)
        return {"total": len(project.answer), "max_total": 60, "rubric": "gaokao", "source": "analysis"}, None

    def progress(p):
        print(f"progress {p.finished}/{p.total}", flush=True)

    run_batch(lib.marking, batch_id, lib.projects.get, one, CancelToken(), on_progress=progress)
    print("finished", flush=True)


if __name__ == "__main__":
    main()
