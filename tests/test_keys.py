"""API keys go to the OS keyring (through the keyring package), never to settings or the database."""

from __future__ import annotations

import pytest
from file_keyring import FileKeyring
from keyring.backends import fail

from writer_app.errors import WriterAppError
from writer_app.keys import KEY_ENV, NO_KEYRING, SERVICE, KeyStore

URL = "http://192.168.1.10:8080/v1"


def test_a_key_is_stored_read_and_deleted_per_server(tmp_path):
    backend = FileKeyring(tmp_path / "ring.json")
    keys = KeyStore(backend, env={})
    assert keys.available() and keys.get(URL) == ""
    keys.set(URL, "s3cret")
    assert keys.get(URL) == "s3cret" and keys.get("http://other/v1") == ""
    assert backend.get_password(SERVICE, URL) == "s3cret"
    keys.set(URL, "")  # an empty key removes it
    assert keys.get(URL) == ""
    keys.delete(URL)  # deleting what is not there is fine


def test_without_a_keyring_nothing_is_stored_and_the_reason_is_one_line():
    keys = KeyStore(fail.Keyring(), env={})
    assert not keys.available() and keys.get(URL) == ""
    with pytest.raises(WriterAppError) as info:
        keys.set(URL, "s3cret")
    assert str(info.value) == NO_KEYRING and "\n" not in NO_KEYRING
    keys.delete(URL)


def test_the_environment_variable_wins(tmp_path):
    keys = KeyStore(FileKeyring(tmp_path / "ring.json"), env={KEY_ENV: "from-env"})
    keys.set(URL, "stored")
    assert keys.get(URL) == "from-env"


def test_a_broken_keyring_is_a_clear_error(tmp_path):
    class Broken(FileKeyring):
        def get_password(self, service, username):
            raise RuntimeError("dbus says no")

    with pytest.raises(WriterAppError, match="无法读取密钥环：dbus says no"):
        KeyStore(Broken(tmp_path / "r.json"), env={}).get(URL)


def test_only_the_front_ends_read_the_process_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "from-process")
    assert KeyStore(fail.Keyring()).get(URL) == ""  # the core's default reads no environment
    edge = KeyStore.from_environment()
    edge._backend = fail.Keyring()
    assert edge.get(URL) == "from-process"
