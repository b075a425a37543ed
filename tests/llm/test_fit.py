"""Which model fits this machine and how fast it writes here: RAM, disk and a speed estimate
from the memory bandwidth (measured once and kept)."""

from __future__ import annotations

from pathlib import Path

from writer_app.config import AppPaths
from writer_app.llm.catalog import CatalogEntry, ModelFile, ModelRegistry, load_catalog
from writer_app.llm.fit import PLEASANT, Machine, SpeedModel, bandwidth, fits, machine_fits
from writer_app.resources import Resources, catalog_file, locate

SPEED = SpeedModel(efficiency=0.7, chars_per_token=1.3)


def _entry(name: str, gb: float, ram: float, recommended: bool = True) -> CatalogEntry:
    return CatalogEntry(
        name, name, "d", "Apache-2.0", ram, recommended, (ModelFile(f"{name}.gguf", approx_gb=gb),)
    )


ENTRIES = [
    _entry("small", 1.0, 2.0),
    _entry("mid", 2.5, 4.5),
    _entry("big", 5.0, 8.0),
    _entry("demo", 0.5, 1.0, False),
]


def test_the_estimate_follows_bandwidth_over_size():
    assert SPEED.tokens_per_s(30.0, 0.5e9) == 42.0
    assert SPEED.chars_per_s(30.0, 0.5e9) == 42.0 * 1.3


def test_a_fast_big_machine_gets_the_most_capable_pleasant_model():
    out = {f.name: f for f in fits(ENTRIES, Machine(32.0, 100.0, 100.0), SPEED, set())}
    assert out["big"].best and out["big"].chars_per_s >= PLEASANT
    assert sum(f.best for f in out.values()) == 1


def test_a_slow_laptop_gets_a_smaller_model_and_slow_ones_say_they_want_a_gpu():
    out = {f.name: f for f in fits(ENTRIES, Machine(16.0, 100.0, 20.0), SPEED, set())}
    assert out["small"].best  # 0.7 × 20 GB/s / 1 GB × 1.3 ≈ 18 字/秒
    assert out["big"].needs_gpu and not out["small"].needs_gpu


def test_a_model_that_cannot_fit_in_ram_is_never_recommended():
    out = {f.name: f for f in fits(ENTRIES, Machine(4.0, 100.0, 100.0), SPEED, set())}
    assert not out["mid"].fits_ram and not out["big"].fits_ram and not out["mid"].best
    assert out["small"].best
    none_fit = fits(ENTRIES, Machine(1.5, 100.0, 100.0), SPEED, set())
    assert not any(f.best for f in none_fit)


def test_no_disk_for_the_download_unless_it_is_installed():
    out = {f.name: f for f in fits(ENTRIES, Machine(32.0, 2.0, 100.0), SPEED, {"big"})}
    assert not out["mid"].fits_disk and out["big"].fits_disk and out["big"].best


def test_the_bandwidth_is_measured_once_and_kept_for_a_month(tmp_path):
    cache = tmp_path / "machine.toml"
    calls: list[int] = []

    def measure() -> float:
        calls.append(1)
        return 12.5

    assert bandwidth(cache, measure, now=1000.0) == 12.5
    assert bandwidth(cache, measure, now=2000.0) == 12.5 and len(calls) == 1
    assert bandwidth(cache, measure, now=1000.0 + 31 * 86400) == 12.5 and len(calls) == 2
    cache.write_text("garbage = [", encoding="utf-8")
    assert bandwidth(cache, measure, now=5000.0) == 12.5 and len(calls) == 3


def test_the_shipped_catalog_recommends_a_qwen3_model_here(tmp_path):
    res = locate()
    registry = ModelRegistry(
        AppPaths(tmp_path / "d", tmp_path / "c"), load_catalog(catalog_file()), resources=res
    )
    machine, fit = machine_fits(registry, AppPaths(tmp_path / "d", tmp_path / "c"), measure=lambda: 30.0)
    assert machine.bandwidth_gbs == 30.0 and machine.ram_gb > 0
    best = [name for name, f in fit.items() if f.best]
    assert len(best) <= 1 and all(name.startswith("qwen3") for name in best)
    assert isinstance(res, Resources) and Path(res.catalog_file).is_file()
    assert SpeedModel.from_catalog(res.catalog_file) == SPEED
