"""API keys for classroom servers, kept in the OS keyring (the ``keyring`` package): macOS
Keychain, Windows Credential Locker, the Secret Service on Linux desktops. Never in the settings
file or the database.

Where no keyring works (a headless Linux box), :meth:`KeyStore.available` is False: the GUI
keeps a key for the running session only, and ``WRITER_APP_API_KEY`` serves scripts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from writer_app.errors import WriterAppError

SERVICE = "writer-companion"
KEY_ENV = "WRITER_APP_API_KEY"

NO_KEYRING = (
    "系统没有可用的密钥环，密钥无法保存；可改用环境变量 WRITER_APP_API_KEY"
    " (no OS keyring is available: the key cannot be stored; use WRITER_APP_API_KEY)"
)


class KeyStore:
    """Get, set and delete the key of one server URL. ``backend``: a keyring backend (tests pass
    their own); None: the one keyring picks for this system, looked up on first use. ``env``:
    the environment ``WRITER_APP_API_KEY`` is read from; the front ends pass theirs
    (:meth:`from_environment`), the core never reads the process environment itself."""

    def __init__(self, backend: Any = None, env: Mapping[str, str] | None = None) -> None:
        self._backend = backend
        self._env: Mapping[str, str] = {} if env is None else env

    @classmethod
    def from_environment(cls) -> KeyStore:
        """The system keyring, and ``WRITER_APP_API_KEY`` from this process's environment (the
        CLI and the window build theirs with this, at the edge)."""
        return cls(env=os.environ)

    def _keyring(self) -> Any:
        if self._backend is None:
            try:
                import keyring

                self._backend = keyring.get_keyring()
            except Exception:  # a broken keyring install must not stop the app
                self._backend = False
        return self._backend

    def available(self) -> bool:
        """Whether keys can be stored (a real keyring backend, not keyring's "fail" one)."""
        backend = self._keyring()
        if not backend:
            return False
        try:
            from keyring.backends import fail

            return not isinstance(backend, fail.Keyring) and backend.priority > 0
        except Exception:
            return False

    def get(self, url: str) -> str:
        """The key for ``url``: ``WRITER_APP_API_KEY`` first, then the keyring; "" when none."""
        if self._env.get(KEY_ENV):
            return self._env[KEY_ENV]
        if not self.available():
            return ""
        try:
            return self._keyring().get_password(SERVICE, url) or ""
        except Exception as exc:
            raise WriterAppError(f"无法读取密钥环：{exc} (cannot read the OS keyring)") from None

    def set(self, url: str, key: str) -> None:
        if not self.available():
            raise WriterAppError(NO_KEYRING)
        try:
            if key:
                self._keyring().set_password(SERVICE, url, key)
            else:
                self.delete(url)
        except WriterAppError:
            raise
        except Exception as exc:
            raise WriterAppError(
                f"无法把密钥存入密钥环：{exc} (cannot store the key in the OS keyring)"
            ) from None

    def delete(self, url: str) -> None:
        if not self.available():
            return
        try:
            self._keyring().delete_password(SERVICE, url)
        except Exception as exc:
            from keyring.errors import PasswordDeleteError

            if not isinstance(exc, PasswordDeleteError):  # "there was none" is fine
                raise WriterAppError(f"无法删除密钥：{exc} (cannot delete the key)") from None
