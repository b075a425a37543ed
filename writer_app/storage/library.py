"""The data layer as the app and the CLI use it: one database, its project store and search index."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from writer_app.analysis.metrics import Analyzer
from writer_app.config import AppPaths
from writer_app.domain import Exemplar
from writer_app.storage.bundle import BundleReport, build_bundle, import_bundle, is_bundle
from writer_app.storage.db import READ_ONLY_MESSAGE, Database, StorageError, open_database
from writer_app.storage.essays import EssayReport, import_essays
from writer_app.storage.export import render, to_jsonl
from writer_app.storage.importer import ImportReport, import_coig
from writer_app.storage.marking import MarkingStore
from writer_app.storage.projects import ProjectStore
from writer_app.storage.search import SearchIndex


@dataclass
class Library:
    database: Database
    projects: ProjectStore
    search: SearchIndex
    marking: MarkingStore
    warnings: list[str] = field(default_factory=list)  # one line each, for the user

    @classmethod
    def open(cls, paths: AppPaths, analyzer: Analyzer, *, backup: bool = True, check: bool = True) -> Library:
        """``check=False`` skips the integrity check: for a second connection to a library that
        the app has already opened (and checked) once."""
        database = open_database(paths.database_file, paths.backups_dir, check=check)
        warnings = []
        if database.read_only:
            warnings.append(READ_ONLY_MESSAGE)
        elif backup:
            try:
                database.rotate_backups()
            except StorageError as exc:  # a missed daily backup must not stop the writer working
                warnings.append(f"今天的自动备份没有完成 (the daily backup failed): {exc}")
        return cls(
            database,
            ProjectStore(database, tokenize=analyzer.tokens),
            SearchIndex(database, analyzer.index_tokens, analyzer.subwords),
            MarkingStore(database),
            warnings,
        )

    def import_file(self, path: Path) -> ImportReport | BundleReport:
        """A project bundle (zip) or COIG-Writer JSON/JSONL exemplars, told apart by content."""
        if is_bundle(path):
            return import_bundle(self.database, path)
        return import_coig(self.database, self.search, path)

    def import_essays(
        self,
        paths: list[Path],
        *,
        tag: str = "",
        query: str = "",
        query_type: str = "",
        pattern: str = "",
        cancelled: Callable[[], bool] = lambda: False,
    ) -> EssayReport:
        """Students' .docx/.txt/.md essays (files, or folders) as projects, indexed for search at
        once (see storage.essays)."""
        report = import_essays(
            self.projects,
            paths,
            tag=tag,
            query=query,
            query_type=query_type,
            pattern=pattern,
            cancelled=cancelled,
        )
        if report.added or report.revised:
            self.search.refresh()
        return report

    def export(self, project_ids: list[int], fmt: str) -> bytes:
        """One file's bytes: a bundle or JSONL of all the projects, else the one project as ``fmt``."""
        if fmt == "bundle":
            return build_bundle(self.projects, project_ids)
        if fmt == "jsonl":
            return to_jsonl(self.projects.get(pid) for pid in project_ids).encode("utf-8")
        (pid,) = project_ids
        return render(fmt, self.projects.get(pid), self.projects.annotations(pid))

    def exemplar(self, exemplar_id: int) -> Exemplar:
        row = self.database.conn.execute(
            "SELECT query, thought, answer, query_type FROM exemplars WHERE id = ?", (exemplar_id,)
        ).fetchone()
        if row is None:
            raise StorageError(f"没有编号为 {exemplar_id} 的范例 (no exemplar {exemplar_id})")
        return Exemplar(*row)

    def best_exemplar(self, query: str, query_type: str = "") -> Exemplar | None:
        """The imported record most like ``query``, preferring the same genre; None when none is."""
        ids = self.search.similar_exemplars(query, query_type=query_type or None, limit=1)
        if not ids and query_type:
            ids = self.search.similar_exemplars(query, limit=1)
        return self.exemplar(ids[0]) if ids else None

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
