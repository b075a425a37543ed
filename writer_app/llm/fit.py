"""Which catalog model fits this machine, and how fast it would write here.

Generating a token on a CPU streams the whole model through memory once, so the speed follows
from two figures: the machine's memory read bandwidth (measured once, ~0.3 s, and kept) and the
model's size. ``writer-app bench`` measured the app at ~70 % of that bound on the demo model;
that share and the Chinese characters per token are data in ``models/catalog.toml`` ([speed]).
A model is recommended only where it fits in RAM and on disk, and is called pleasant from
:data:`PLEASANT` 字/秒 (an 800-字 essay in under two minutes of writing).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from writer_app.config import AppPaths, atomic_write_bytes, physical_cores
from writer_app.llm.catalog import CatalogEntry, ModelRegistry

PLEASANT = 8.0  # 字/秒 from which writing along with the model does not feel like waiting
RAM_RESERVE_GB = 1.0  # the system and the app itself
MEASURE_AGAIN_S = 30 * 86400  # a kept bandwidth figure is measured again after a month


@dataclass(frozen=True)
class SpeedModel:
    """tokens/s = efficiency × bandwidth / model bytes; 字/s = tokens/s × chars_per_token."""

    efficiency: float = 0.7
    chars_per_token: float = 1.3

    @classmethod
    def from_catalog(cls, path: Path) -> SpeedModel:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8")).get("speed", {})
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            return cls()
        return cls(float(raw.get("efficiency", 0.7)), float(raw.get("chars_per_token", 1.3)))

    def tokens_per_s(self, bandwidth_gbs: float, model_bytes: float) -> float:
        return self.efficiency * bandwidth_gbs * 1e9 / model_bytes if model_bytes > 0 else 0.0

    def chars_per_s(self, bandwidth_gbs: float, model_bytes: float) -> float:
        return self.tokens_per_s(bandwidth_gbs, model_bytes) * self.chars_per_token


@dataclass(frozen=True)
class Machine:
    ram_gb: float  # physical memory (0: unknown)
    free_disk_gb: float  # free space where models are kept
    bandwidth_gbs: float  # measured memory read bandwidth (0: unknown)


@dataclass(frozen=True)
class Fit:
    """How one catalog model suits this machine."""

    name: str
    fits_ram: bool
    fits_disk: bool
    chars_per_s: float  # the estimate on this machine's CPU (0: unknown)
    best: bool = False  # the one to recommend here

    @property
    def needs_gpu(self) -> bool:
        """Too slow on this CPU to write along with: pleasant only with a GPU."""
        return 0 < self.chars_per_s < PLEASANT

    def to_dict(self) -> dict[str, Any]:
        return {
            "fits_ram": self.fits_ram,
            "fits_disk": self.fits_disk,
            "speed_chars_s": round(self.chars_per_s, 1),
            "needs_gpu": self.needs_gpu,
            "best_for_machine": self.best,
        }


def total_ram_gb() -> float:
    """Physical memory in GB (0 when the system does not say)."""
    if sys.platform == "win32":

        class _Status(ctypes.Structure):
            _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong)] + [
                (n, ctypes.c_ulonglong)
                for n in ("total", "avail", "page_total", "page_avail", "virt_total", "virt_avail", "ext")
            ]

        status = _Status()
        status.length = ctypes.sizeof(_Status)
        ok = ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))  # type: ignore[attr-defined]
        return status.total / 1e9 if ok else 0.0
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return 0.0


def free_disk_gb(folder: Path) -> float:
    """Free space on the disk that holds ``folder`` (or its nearest existing parent)."""
    for p in (folder, *folder.parents):
        if p.exists():
            try:
                return shutil.disk_usage(p).free / 1e9
            except OSError:
                return 0.0
    return 0.0


def bandwidth(cache: Path, measure: Callable[[], float], *, now: float | None = None) -> float:
    """The memory read bandwidth in GB/s: kept in ``cache`` once measured (``measure`` takes
    about a second), measured again when the figure is old or unreadable."""
    now = time.time() if now is None else now
    try:
        kept = tomllib.loads(cache.read_text(encoding="utf-8"))
        gbs, when = float(kept["bandwidth_gbs"]), float(kept["measured"])
        if gbs > 0 and now - when < MEASURE_AGAIN_S:
            return gbs
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError):
        pass
    gbs = measure()
    try:
        atomic_write_bytes(cache, tomli_w.dumps({"bandwidth_gbs": gbs, "measured": now}).encode("utf-8"))
    except OSError:
        pass  # measured again next time
    return gbs


def fits(entries: list[CatalogEntry], machine: Machine, speed: SpeedModel, installed: set[str]) -> list[Fit]:
    """Each entry's fit here, and the best one marked: among the recommended models that fit in
    RAM and on disk (installed ones need no disk), the most capable that is pleasant on this
    CPU; if none is, the fastest that fits. Never one that does not fit in RAM."""
    out: list[Fit] = []
    for e in entries:
        ram_ok = machine.ram_gb <= 0 or e.ram_gb <= machine.ram_gb - RAM_RESERVE_GB
        disk_ok = (
            e.name in installed or machine.free_disk_gb <= 0 or e.approx_gb * 1.05 <= machine.free_disk_gb
        )
        model_bytes = e.size_bytes or e.approx_gb * 1e9
        cps = speed.chars_per_s(machine.bandwidth_gbs, model_bytes) if machine.bandwidth_gbs > 0 else 0.0
        out.append(Fit(e.name, ram_ok, disk_ok, cps))
    by_name = {e.name: e for e in entries}
    usable = [f for f in out if by_name[f.name].recommended and f.fits_ram and f.fits_disk]
    pleasant = [f for f in usable if f.chars_per_s >= PLEASANT or f.chars_per_s == 0]
    if pleasant:
        best = max(pleasant, key=lambda f: by_name[f.name].ram_gb)
    elif usable:
        best = max(usable, key=lambda f: f.chars_per_s)
    else:
        return out
    return [Fit(f.name, f.fits_ram, f.fits_disk, f.chars_per_s, best=f.name == best.name) for f in out]


def measure_bandwidth() -> float:
    """A fraction of a second, each core summing its own 64 MB array (beyond any cache); small
    arrays keep the GIL-holding allocation short (the window stays responsive meanwhile)."""
    from writer_app.llm.bench import measure_memory_bandwidth

    cores = physical_cores()
    return measure_memory_bandwidth(cores, mb=64)


def machine_fits(
    registry: ModelRegistry, paths: AppPaths, measure: Callable[[], float] | None = None
) -> tuple[Machine, dict[str, Fit]]:
    """This machine, and every catalog model's fit on it (see :func:`fits`). ``measure``: the
    bandwidth probe (default :func:`measure_bandwidth`), run only when no figure is kept."""
    machine = Machine(
        ram_gb=total_ram_gb(),
        free_disk_gb=free_disk_gb(paths.models_dir),
        bandwidth_gbs=bandwidth(paths.data_dir / "machine.toml", measure or measure_bandwidth),
    )
    speed = SpeedModel.from_catalog(registry.resources.catalog_file)
    entries = list(registry.catalog.values())
    installed = {e.name for e in entries if registry.installed_path(e) is not None}
    return machine, {f.name: f for f in fits(entries, machine, speed, installed)}
