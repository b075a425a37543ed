"""Child process for the kill -9 fault tests: does storage work and reports each commit on stdout.

python fault_worker.py autosave DATA_DIR       autosave bursts, one revision per call
python fault_worker.py import DATA_DIR FILE    import a COIG file in small batches
python fault_worker.py migrate DATA_DIR SLEEP  open with an extra v2 migration that sleeps
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main() -> None:
    mode, data = sys.argv[1], Path(sys.argv[2])
    from writer_app.storage import db as dbmod

    if mode == "migrate":
        pause = float(sys.argv[3])

        def v2(db) -> None:
            db.conn.execute("CREATE TABLE v2_extra (id INTEGER PRIMARY KEY, note TEXT)")
            db.conn.execute("UPDATE projects SET title = title || '（v2）'")
            print("migrating", flush=True)
            time.sleep(pause)

        dbmod.MIGRATIONS.append(v2)
        dbmod.SCHEMA_VERSION = len(dbmod.MIGRATIONS)
        dbmod.open_database(data / "writer.db", data / "backups").close()
        print("migrated", flush=True)
        return

    from writer_app.storage.importer import import_coig
    from writer_app.storage.projects import ProjectStore
    from writer_app.storage.search import SearchIndex

    database = dbmod.open_database(data / "writer.db", data / "backups")
    if mode == "autosave":
        store = ProjectStore(database, autosave_every_s=0)
        pid = store.create("压力测试").id
        for i in range(1_000_000):
            text = f"第{i}次保存。" + "字" * (i % 500)
            store.autosave(pid, "answer", text)
            rev = store.revisions(pid, "answer")[0] if i % 10 == 0 else None
            print(f"saved {i}" + (f" rev {rev.id}" if rev else ""), flush=True)
    elif mode == "writer":  # one of two app instances saving into the same data folder
        store = ProjectStore(database, autosave_every_s=0)
        pid = store.create(f"实例 {sys.argv[3]}").id
        for i in range(int(sys.argv[4])):
            store.set_text(pid, "answer", f"实例{sys.argv[3]}第{i}稿", kind="snapshot")
            store.autosave(pid, "thought", f"构思{i}")
        print(f"done {pid}", flush=True)
    elif mode == "import":
        report = import_coig(database, SearchIndex(database, list), Path(sys.argv[3]), batch=50)
        print(f"done {report.added}", flush=True)


if __name__ == "__main__":
    main()
