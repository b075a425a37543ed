"""The services a front end drives, without Qt: resources, the model host and the writing steps.

The GUI (``writer_app/gui``) builds one :class:`Workbench` and calls these methods from its
background jobs; every method takes what it needs as arguments and returns plain results, so
it is tested with plain pytest. Nothing here keeps global state.
"""

from __future__ import annotations

import contextlib
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from writer_app.analysis.metrics import Analysis, Analyzer
from writer_app.config import AppPaths, Settings, save_settings
from writer_app.domain import Exemplar, Genre, Thought, find_genre, load_genres
from writer_app.errors import BadInputError, CancelledError, ModelError, WriterAppError
from writer_app.keys import KeyStore
from writer_app.llm.engine import CancelToken, Chunk, GenerationParams, LoadableEngine, Message
from writer_app.resources import Resources
from writer_app.writing.critique_resources import CritiqueResources
from writer_app.writing.draft import DraftEvent
from writer_app.writing.guards import GuardRules, load_guard_rules
from writer_app.writing.prompts import PromptSet, load_prompts
from writer_app.writing.rubric import Rubric, load_rubric

if TYPE_CHECKING:
    from writer_app.llm.gguf_info import GGUFInfo
    from writer_app.llm.remote import RemoteEngine
    from writer_app.storage.library import Library
    from writer_app.storage.marking import Batch
    from writer_app.storage.projects import Project, Revision
    from writer_app.writing.batch import BatchProgress
    from writer_app.writing.calibrate import ScoredEssay
    from writer_app.writing.calibration import Calibration
    from writer_app.writing.critique import CritiqueResult
    from writer_app.writing.gradebook import GradeRow
    from writer_app.writing.outline import OutlineEvent
    from writer_app.writing.textside import TextSideProcess


@dataclass(frozen=True)
class SamplePrompt:
    query_type: str
    query: str


def load_sample_prompts(resources_dir: Path) -> list[SamplePrompt]:
    try:
        raw = tomllib.loads((resources_dir / "sample_prompts.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return []  # the samples are a convenience; the app works without them
    return [
        SamplePrompt(str(p.get("query_type", "")), str(p.get("query", "")).strip())
        for p in raw.get("prompt", [])
        if isinstance(p, dict) and p.get("query")
    ]


class _Metered:
    """The engine, counting the tokens it streams (for a tokens-per-second display)."""

    def __init__(self, engine: LoadableEngine) -> None:
        self.inner = engine
        self.tokens = 0

    def stream(
        self,
        messages: list[Message] | str,
        params: GenerationParams | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[Chunk]:
        for chunk in self.inner.stream(messages, params, cancel):
            self.tokens += chunk.tokens
            yield chunk

    def load(self, cancel: CancelToken | None = None) -> dict[str, Any]:
        return self.inner.load(cancel)

    @property
    def worker_pid(self) -> int | None:
        return getattr(self.inner, "worker_pid", None)

    def close(self) -> None:
        self.inner.close()


class ModelHost:
    """Owns the one local engine: built from the settings on first use, rebuilt when they change.

    ``state`` is one of none (no model configured), idle (configured, not loaded), loading,
    ready, error. Safe to call from any thread; the engine itself serialises requests.
    """

    def __init__(
        self, paths: AppPaths, settings: Settings, resources: Resources, keys: KeyStore | None = None
    ) -> None:
        from writer_app.llm.local import make_registry

        self.paths = paths
        self.settings = settings
        self.resources = resources
        self.keys = keys or KeyStore()
        # keys typed in this run where no OS keyring can keep them (server URL → key)
        self.session_keys: dict[str, str] = {}
        self._built_key = ""  # the key the current server engine was built with
        self.registry = make_registry(paths, resources)
        self._engine: _Metered | None = None
        self._name = ""
        self._file = ""  # the local model's file name: what its calibration is kept under
        self._lock = threading.RLock()
        self.state = "idle"
        self.message = ""
        self.gpu_offload: bool | None = None  # known once a model loaded or capabilities() ran

    @property
    def remote(self) -> bool:
        """Classroom mode: the writer's text goes to a server."""
        return self.settings.engine.backend == "server"

    def server_url(self) -> str:
        """The normalized server URL ("" when not set or malformed)."""
        from writer_app.llm.remote import normalize_base_url

        try:
            return normalize_base_url(self.settings.engine.server.url)
        except WriterAppError:
            return ""

    def api_key(self, url: str) -> str:
        return self.session_keys.get(url) or self.keys.get(url)

    def key_changed(self) -> bool:
        """Whether the server's key changed since the engine was built (it must be rebuilt)."""
        with self._lock:
            if self._engine is None or not self.remote:
                return False
            try:
                return self.api_key(self.server_url()) != self._built_key
            except WriterAppError:
                return True

    def configured_name(self) -> str:
        """The model the settings name, else the first installed one; empty when there is none.
        In classroom mode: "model @ host", or "@ host" while the server's only model is used."""
        if self.remote:
            from writer_app.llm.remote import host_label

            url = self.server_url()
            if not url:
                return ""
            return f"{self.settings.engine.server.model.strip()} @ {host_label(url)}".strip()
        try:
            return self.settings.engine.model or self.registry.default_model()
        except WriterAppError:
            return ""

    @property
    def name(self) -> str:
        return self._name or self.configured_name()

    def identity(self) -> str:
        """What a calibration is kept under: the local model's file name (the same however the
        model was named: catalog name, path, or the CLI's --model), or a server's "model @ host".
        Builds the engine if needed."""
        self.engine()
        return self.name if self.remote else (self._file or self.name)

    def check(self, model: str | None = None) -> GGUFInfo:
        """Resolve and read a model's metadata without loading it; raises ModelError (one line)."""
        from writer_app.llm.local import worker_config

        name = model if model is not None else self.configured_name()
        if not name:
            raise ModelError("还没有设置模型 (no model is set)")
        _config, info = worker_config(self.registry, self.settings.engine, name)
        return info

    def engine(self) -> _Metered:
        """The engine for the configured model (not yet loaded); raises ModelError."""
        from writer_app.llm.local import make_engine

        with self._lock:
            if self._engine is None:
                name = self.configured_name()
                if not name:
                    self.state = "none"
                    raise ModelError(
                        "还没有设置服务器地址 (no server URL is set)"
                        if self.remote
                        else "还没有设置模型 (no model is set)"
                    )
                if self.remote:
                    from writer_app.llm.remote import RemoteEngine, server_config

                    url = self.server_url()
                    self._built_key = self.api_key(url)
                    engine: LoadableEngine = RemoteEngine(
                        server_config(self.settings.engine, self._built_key, resources=self.resources)
                    )
                else:
                    engine, info = make_engine(self.paths, self.registry, self.settings.engine, name)
                    self._file = Path(info.path).name
                self._engine, self._name = _Metered(engine), name
            return self._engine

    def remote_engine(self, settings: Settings, api_key: str) -> RemoteEngine:
        """A classroom-mode engine for settings not yet applied (the dialog's "test connection")."""
        from writer_app.llm.remote import RemoteEngine, server_config

        return RemoteEngine(server_config(settings.engine, api_key, resources=self.resources))

    def attach(self, engine: LoadableEngine, name: str) -> None:
        """Use an engine built elsewhere (another backend, a test's scripted one)."""
        with self._lock:
            self.close()
            self._engine, self._name, self.state = _Metered(engine), name, "idle"

    def load(self, cancel: CancelToken | None = None) -> dict[str, Any]:
        """Start the worker and load the model (seconds for a real one); returns its info."""
        try:
            engine = self.engine()
            self.state = "loading"
            info = engine.load(cancel)
        except WriterAppError as exc:
            self.state, self.message = "error", str(exc)
            raise
        self.state, self.message = "ready", ""
        if info.get("backend") == "server" and info.get("model") and not self.settings.engine.server.model:
            host = self._name.rpartition("@ ")[2]
            self._name = f"{info['model']} @ {host}"  # the server's only model, now known
        if "gpu_offload_supported" in info:
            self.gpu_offload = bool(info["gpu_offload_supported"])
        return info

    def capabilities(self) -> dict[str, Any]:
        """What this build of llama.cpp supports (``gpu_offload``, ``system_info``), asked in a
        short-lived process (~0.3 s) so this process never loads the native library."""
        from writer_app.llm.worker import probe_backend

        info = probe_backend(self.paths.logs_dir / "worker.log")
        self.gpu_offload = bool(info["gpu_offload"])
        return info

    def reconfigure(self, settings: Settings) -> None:
        """New settings: the old engine is shut down; the next use builds one from these."""
        with self._lock:
            self.settings = settings
            self.close()
            self.state = "idle"

    def update(self, settings: Settings) -> bool:
        """Hold ``settings`` from now on; the engine is rebuilt only when what it was built from
        changed (its settings, or the server's key). True when it was."""
        with self._lock:
            if settings.engine != self.settings.engine or self.key_changed():
                self.reconfigure(settings)
                return True
            self.settings = settings
            return False

    def parallel(self, cancel: CancelToken | None = None) -> int:
        """How many critiques a batch runs at once: one on the local model (one worker process);
        on a server, the setting, else as many as the server has slots, else one."""
        if not self.remote:
            return 1
        n = int(self.settings.engine.server.parallel)
        if n > 0:
            return n
        slots = getattr(getattr(self.engine(), "inner", None), "slots", None)
        return max(1, int(slots(cancel))) if callable(slots) else 1

    @property
    def structured_mode(self) -> str:
        """How a server is asked for JSON (json_schema | json_object | prompt), once known."""
        inner = getattr(self._engine, "inner", None)
        return str(getattr(inner, "structured_mode", "") or "")

    @property
    def tokens(self) -> int:
        """Tokens streamed so far by this engine (sample it twice for a rate)."""
        return self._engine.tokens if self._engine is not None else 0

    def params(self, **overrides: Any) -> GenerationParams:
        from writer_app.llm.local import default_params

        return default_params(self.settings.engine, **overrides)

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
            self._engine, self._name = None, ""


@dataclass
class Workbench:
    """Resources loaded once, the analyzer, and the writing steps over the model host."""

    paths: AppPaths
    resources: Path
    models: ModelHost
    _analyzer: Analyzer | None = None
    _genres: list[Genre] | None = None
    _samples: list[SamplePrompt] | None = None
    _prompts: dict[str, PromptSet] = field(default_factory=dict)
    _rubrics: dict[str, Rubric] = field(default_factory=dict)
    _guard_rules: GuardRules | None = None
    _critique_resources: CritiqueResources | None = None

    @classmethod
    def create(
        cls, paths: AppPaths, settings: Settings, resources: Resources | Path, keys: KeyStore | None = None
    ) -> Workbench:
        """``resources``: the app data (a :class:`Resources`, or the path of its ``resources/``
        folder); prompts, rubrics and genres are read from it, and so are the model catalog, the
        chat template and the server's prompts, through the model host. ``keys``: where server
        keys are kept (default: the system keyring, no environment)."""
        res = resources if isinstance(resources, Resources) else Resources.at(resources)
        return cls(paths, res.dir, ModelHost(paths, settings, res, keys))

    # -- the settings: one copy, held by the model host (which builds the engine from them) -----
    @property
    def settings(self) -> Settings:
        return self.models.settings

    def apply_settings(self, settings: Settings, *, save: bool = True) -> bool:
        """Make ``settings`` the app's settings: written to ``settings.toml`` first (a refused
        write changes nothing and raises :class:`WriterAppError`), then held. True when the
        engine must load again (its settings or the server's key changed)."""
        if save:
            save_settings(self.paths.settings_file, settings)
        return self.models.update(settings)

    # -- resources, each read when first needed (a command that only streams reads none) --------
    @property
    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            self._analyzer = Analyzer(self.resources)
        return self._analyzer

    @property
    def genres(self) -> list[Genre]:
        if self._genres is None:
            self._genres = load_genres(self.resources)
        return self._genres

    @property
    def samples(self) -> list[SamplePrompt]:
        if self._samples is None:
            self._samples = load_sample_prompts(self.resources)
        return self._samples

    # -- resources ------------------------------------------------------------------------------
    def prompts(self, name: str) -> PromptSet:
        if name not in self._prompts:
            self._prompts[name] = load_prompts(self.resources, name)
        return self._prompts[name]

    def rubric(self, name: str) -> Rubric:
        if name not in self._rubrics:
            self._rubrics[name] = load_rubric(self.resources, name)
        return self._rubrics[name]

    def guard_rules(self) -> GuardRules:
        """What counts as a repeated, copied or assistant-voiced sentence (loaded once)."""
        if self._guard_rules is None:
            self._guard_rules = load_guard_rules(self.resources)
        return self._guard_rules

    def genre(self, name: str) -> Genre:
        return find_genre(self.genres, name) if name else find_genre(self.genres, self.genres[0].name)

    def open_library(self, *, first: bool = False) -> Library:
        """A connection to the project library. The ``first`` one of a run checks the file and
        takes the daily backup; each background job then opens its own, unchecked."""
        from writer_app.storage.library import Library

        return Library.open(self.paths, self.analyzer, backup=first, check=first)

    def exemplar(
        self, query: str, genre: Genre, library: Callable[[], Library] | None = None
    ) -> tuple[Exemplar | None, str]:
        """The imported record most like ``query`` (same genre first) to show the 构思 step, and
        why there is none when the library could not be read: the outline does not need it.
        ``library`` gives an open library to use; without it one is opened and closed here."""
        try:
            if library is not None:
                return library().best_exemplar(query, genre.name), ""
            lib = self.open_library()
            try:
                return lib.best_exemplar(query, genre.name), ""
            finally:
                lib.close()
        except WriterAppError as exc:
            return None, str(exc)

    # -- analysis -------------------------------------------------------------------------------
    def analyze(self, text: str, query: str = "", target_chars: int = 800) -> Analysis:
        return self.analyzer.analyze(text, prompt=query, target_chars=target_chars)

    # -- the writing steps (each may take seconds to minutes: call from a background job) -------
    def outline(
        self,
        query: str,
        genre: Genre,
        target_chars: int | None,
        cancel: CancelToken,
        exemplar: Exemplar | None = None,
        on_event: Callable[[OutlineEvent], None] | None = None,
    ) -> Thought:
        """The 构思; ``on_event`` sees each section's text as it arrives (OutlineEvent), and
        with 先想后写 on (``Settings.think_first``) a thinking model's thinking before it."""
        from writer_app.writing.outline import generate_outline

        return generate_outline(
            self.models.engine(),
            self.prompts("outline"),
            query,
            genre,
            self.models.params(thinking=self.settings.think_first),
            rules=self.guard_rules(),
            target_chars=target_chars,
            exemplar=exemplar,
            cancel=cancel,
            on_event=on_event,
        )

    def regenerate_section(
        self,
        query: str,
        genre: Genre,
        thought: Thought,
        key: str,
        target_chars: int | None,
        cancel: CancelToken,
        on_event: Callable[[OutlineEvent], None] | None = None,
    ) -> Thought:
        from writer_app.writing.outline import regenerate_section

        return regenerate_section(
            self.models.engine(),
            self.prompts("outline"),
            query,
            genre,
            thought,
            key,
            self.models.params(),
            rules=self.guard_rules(),
            target_chars=target_chars,
            cancel=cancel,
            on_event=on_event,
        )

    def draft(
        self, query: str, thought: Thought, genre: Genre, target_chars: int | None, cancel: CancelToken
    ) -> Iterator[DraftEvent]:
        from writer_app.writing.draft import draft

        return draft(
            self.models.engine(),
            self.prompts("draft"),
            query,
            thought,
            genre,
            self.models.params(),
            target_chars=target_chars,
            cancel=cancel,
            rules=self.guard_rules(),
        )

    def continue_text(
        self, query: str, thought: Thought, genre: Genre, before: str, cancel: CancelToken, chars: int = 200
    ) -> Iterator[DraftEvent]:
        from writer_app.writing.draft import continue_text

        return continue_text(
            self.models.engine(),
            self.prompts("draft"),
            query,
            thought,
            genre,
            before,
            self.models.params(),
            chars=chars,
            cancel=cancel,
            rules=self.guard_rules(),
        )

    def rewrite(
        self, passage: str, instruction: str, before: str, after: str, cancel: CancelToken
    ) -> Iterator[DraftEvent]:
        from writer_app.writing.draft import rewrite_passage

        return rewrite_passage(
            self.models.engine(),
            self.prompts("draft"),
            passage,
            instruction,
            self.models.params(),
            before=before,
            after=after,
            cancel=cancel,
            rules=self.guard_rules(),
        )

    def critique(
        self,
        essay: str,
        query: str,
        genre: Genre,
        target_chars: int,
        cancel: CancelToken,
        *,
        use_model: bool = True,
        thought: str = "",
        on_progress: Callable[[int, int, str], None] | None = None,
        text_process: TextSideProcess | None = None,
    ) -> CritiqueResult:
        """A CritiqueResult: the model's verdict, or the analysis-only estimate without a model;
        grounded in computed evidence (``thought`` is the 构思 a copy is counted from) and
        calibrated for this model where a calibration exists. The window and the CLI both call
        this with the model host's engine, so the same text, model and seed give the same verdict.
        ``text_process``: where the text side is computed (a batch in the window); else here."""
        from writer_app.writing.critique import check_essay, critique

        prompts = self.prompts("critique")
        check_essay(essay, prompts)
        rubric = self.rubric(genre.rubric)
        model = self.models.identity() if use_model else ""
        grounding = self.critique_resources.grounding(rubric, model, thought)
        common: dict[str, Any] = {
            "query": query,
            "target_chars": target_chars,
            "features": self.critique_resources.feature_model(),
            "grounding": grounding,
        }
        if text_process is not None:
            common["text"] = text_process.compute(
                essay, rubric, query=query, target_chars=target_chars, grounding=grounding
            )
        if not use_model:
            return critique(essay, rubric, self.analyzer, **common)
        return critique(
            essay,
            rubric,
            self.analyzer,
            **common,
            engine=self.models.engine(),
            prompts=prompts,
            params=self.models.params(),
            cancel=cancel,
            on_progress=on_progress,
        )

    def calibrate(
        self,
        source: Path | tuple[str, list[ScoredEssay]],
        genre: Genre,
        cancel: CancelToken,
        *,
        use_model: bool = True,
        max_score: float | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> Calibration:
        """Fit the critique's total to the essays in ``source`` as their teacher scored them
        (out of ``max_score``, default the rubric's maximum); keep it for this model and rubric
        in the data folder. Returns the Calibration. See :mod:`writer_app.writing.calibrate`."""
        from writer_app.writing.calibrate import AnswerCache, check_scored, read_scored, signals_for
        from writer_app.writing.calibration import fit_stacked
        from writer_app.writing.critique import check_essay, critique, feature_values
        from writer_app.writing.rubric import split_title

        rubric = self.rubric(genre.rubric)
        top = float(max_score or rubric.max_total)
        if isinstance(source, Path):
            essays, origin = read_scored(source, top), source.name
        else:  # (where they came from, the essays): a class's essays with the teacher's totals
            origin, essays = source[0], check_scored(source[1])
            for e in essays:
                if e.score > top:
                    raise BadInputError(
                        f"{e.id}：教师分 {e.score:g} 超过满分 {top:g} (score above the maximum)"
                    )
        prompts = self.prompts("critique")
        for e in essays:  # every essay is checked before the first model request
            try:
                check_essay(e.text, prompts)
            except WriterAppError as exc:
                raise type(exc)(f"{e.id}：{exc}") from None
        features = self.critique_resources.feature_model()
        model = self.models.identity() if use_model else ""

        def text_signals(e: ScoredEssay) -> dict[str, float]:
            _title, body = split_title(e.text)
            a = self.analyzer.analyze(body, prompt=e.query, target_chars=genre.target_chars)
            return feature_values(a, body)

        model_dims = None
        if use_model:
            eng = self.models.engine()
            p = self.models.params()

            def model_dims(e: ScoredEssay) -> list[dict[str, Any]]:
                r = critique(
                    e.text,
                    rubric,
                    self.analyzer,
                    query=e.query,
                    target_chars=genre.target_chars,
                    engine=eng,
                    prompts=prompts,
                    params=p,
                    features=features,
                    cancel=cancel,
                    suggestions=False,
                )
                return [{"key": d["key"], "score": d["score"], "max": d["max"]} for d in r.dimensions]

        cache = AnswerCache(self.paths.data_dir / "calibration-answers.jsonl", model) if use_model else None
        rows = signals_for(essays, text_signals, model_dims, cache, on_progress)
        shares = [e.score / top for e in essays]
        fitted_on = f"{len(essays)} essays from {origin}, scored out of {top:g} by their teacher"

        def step(i: int, n: int, what: str) -> None:
            if cancel.cancelled:
                raise CancelledError()
            if on_progress:
                on_progress(len(essays) + i, len(essays) + n, what)

        cal, lexical = fit_stacked(
            [e.text for e in essays],
            rows,
            shares,
            rubric=rubric.name,
            model=model,
            fitted_on=fitted_on,
            on_step=step,
        )
        self.critique_resources.keep(cal, lexical)
        return cal

    # -- what a model wrote, kept the same way whichever front end asked ------------------------
    def generation_params(self, **extra: Any) -> dict[str, Any]:
        """What a generation log records of how a text was asked for."""
        params = self.models.params()
        return {"temperature": params.temperature, "seed": params.seed, **extra}

    def record_generation(
        self,
        library: Library,
        project_id: int,
        kind: str,
        field_name: str,
        text: str,
        stats: dict[str, Any],
        label: str = "",
        *,
        query_type: str = "",
        target_chars: int | None = None,
    ) -> Revision | None:
        """Store what the model wrote in the project: its generation log (model, temperature,
        seed, genre, target length, the step's stats) and the text as a revision. Returns the
        revision, or None when the model wrote nothing (the field is left as it was)."""
        params = self.generation_params(type=query_type, length=target_chars)
        return library.projects.save_generation(
            project_id, kind, field_name, text, self.models.name, params, stats, label
        )

    def record_critique(
        self, library: Library, project_id: int, result: CritiqueResult, seconds: float
    ) -> dict[str, Any]:
        """Keep a critique with the answer it judged (and a model's in the generation log);
        returns its JSON, as ``critique --json`` prints it and the window shows it."""
        data: dict[str, Any] = result.to_dict()
        log = self._critique_log(result, seconds)
        if log is not None:
            library.projects.log_generation(project_id, "critique", log["model"], log["params"], log["stats"])
        library.projects.save_critique(project_id, data)
        return data

    def _critique_log(self, result: CritiqueResult, seconds: float) -> dict[str, Any] | None:
        """A model critique's generation log (None for the analysis-only estimate)."""
        if result.source != "model":
            return None
        return {
            "model": self.models.name,
            "params": self.generation_params(rubric=result.rubric.name),
            "stats": {"seconds": round(seconds, 1), "requests": result.stats},
        }

    # -- a class's essays -------------------------------------------------------------------------
    def start_batch(
        self,
        library: Library,
        *,
        tag: str = "",
        project_ids: list[int] | None = None,
        again: bool = False,
        use_model: bool = True,
    ) -> Batch | None:
        """The batch critique to run for the essays tagged ``tag`` (or ``project_ids``); None
        when there is nothing to critique (see :meth:`MarkingStore.next_batch`)."""
        options = {"use_model": use_model}
        return library.marking.next_batch("critique", tag, project_ids, again=again, options=options)

    def gradebook(self, library: Library, tag: str, only: list[int] | None = None) -> list[GradeRow]:
        """The class's rows (see :mod:`writer_app.writing.gradebook`): what the class view, the
        ``class`` command and the exports show; ``only``: just these projects' rows."""
        from writer_app.writing.gradebook import grade_rows

        def rubric_for(name: str) -> Rubric | None:
            try:
                return self.rubric(name) if name else None
            except WriterAppError:
                return None

        ids = library.marking.tagged(tag) if only is None else only
        return grade_rows(library.marking.marked(ids), rubric_for)

    def run_batch(
        self,
        library: Library,
        batch_id: int,
        cancel: CancelToken,
        *,
        on_progress: Callable[[BatchProgress], None] | None = None,
        separate_process: bool = False,
    ) -> Batch:
        """Work off a batch critique (see :mod:`writer_app.writing.batch`): each essay with its
        project's prompt, genre and 构思, on this model (or the analysis-only estimate, as the
        batch was asked for), as many at once as :meth:`ModelHost.parallel` says.
        ``separate_process``: the text side in a helper process (the window asks for it: see
        :mod:`writer_app.writing.textside`)."""
        from writer_app.writing.batch import run_batch
        from writer_app.writing.textside import TextSideProcess

        batch = library.marking.batch(batch_id)
        use_model = bool(batch.options.get("use_model", True))
        parallel = self.models.parallel(cancel) if use_model and batch.pending > 1 else 1
        self.prepare_critique()  # the shared caches are filled before the threads start

        def one(project: Project, token: CancelToken) -> tuple[dict[str, Any], dict[str, Any] | None]:
            genre = self.genre(project.query_type)
            started = time.monotonic()
            result = self.critique(
                project.answer,
                project.query,
                genre,
                genre.target_chars,
                token,
                use_model=use_model,
                thought=project.thought,
                text_process=helper,
            )
            return result.to_dict(), self._critique_log(result, time.monotonic() - started)

        helper = TextSideProcess(self.resources, self.analyzer) if separate_process else None
        with helper or contextlib.nullcontext():
            marking, load = library.marking, library.projects.get
            return run_batch(marking, batch_id, load, one, cancel, parallel=parallel, on_progress=on_progress)

    def prepare_critique(self) -> None:
        """Read what every critique reads (prompts, rules, feature model, calibrations) now: a batch's
        threads share the caches, and the class view calls it as it opens (no parsing later)."""
        self.prompts("critique")
        self.critique_resources.prepare()

    @property
    def critique_resources(self) -> CritiqueResources:
        """The critique's rules, feature model and calibrations (each file read once)."""
        if self._critique_resources is None:
            self._critique_resources = CritiqueResources(
                self.resources, self.paths.calibration_file, self.guard_rules
            )
        return self._critique_resources


def thought_from_text(text: str) -> Thought:
    """The Thought in a project's Markdown field (an empty one when the field is empty)."""
    return Thought.from_markdown(text or "")
