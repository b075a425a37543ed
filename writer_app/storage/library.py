"""The data layer as the app and the CLI use it: one database, its project store and search index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from writer_app.analysis.metrics import Analyzer
from writer_app.config import AppPaths
from writer_app.storage.db import Database, open_database
from writer_app.storage.importer import ImportReport, import_coig
from writer_app.storage.projects import ProjectStore
from writer_app.storage.search import SearchIndex


@dataclass
class Library:
    database: Database
    projects: ProjectStore
    search: SearchIndex

    @classmethod
    def open(cls, paths: AppPaths, analyzer: Analyzer, *, backup: bool = True) -> Library:
        database = open_database(paths.database_file, paths.backups_dir)
        if backup:
            database.rotate_backups()
        return cls(
            database,
            ProjectStore(database, tokenize=analyzer.tokens),
            SearchIndex(database, analyzer.tokens, analyzer.search_tokens),
        )

    def import_file(self, path: Path) -> ImportReport:
        return import_coig(self.database, self.search, path)

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
