"""Storage: one SQLite file owned by :mod:`writer_app.storage.db`."""
