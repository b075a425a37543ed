"""The one resources value: located at the edge, read with one error policy."""

from __future__ import annotations

import pytest

from writer_app.errors import WriterAppError
from writer_app.resources import RESOURCES_ENV, ResourceError, Resources, locate


def test_locate_reads_the_environment_only_when_asked(tmp_path):
    assert locate({RESOURCES_ENV: str(tmp_path)}) == Resources(tmp_path)
    shipped = locate({})
    assert (shipped.dir / "prompts" / "outline.toml").is_file() and shipped.catalog_file.is_file()


def test_a_resources_value_names_its_folders(tmp_path):
    res = Resources.at(tmp_path / "resources")
    assert res.root == tmp_path and res.dir == tmp_path / "resources"
    assert res.catalog_file == tmp_path / "models" / "catalog.toml"
    assert res.checkout_models_dir() is None  # not a source checkout


def test_a_missing_data_file_is_one_line_naming_it(tmp_path):
    res = Resources(tmp_path)
    with pytest.raises(ResourceError) as err:
        res.text("prompts/server.toml")
    assert isinstance(err.value, WriterAppError) and "\n" not in str(err.value)
    assert "prompts/server.toml" in str(err.value)
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "x.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ResourceError, match="x.txt"):
        res.text("x.txt")
