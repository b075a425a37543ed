"""What the writing is worth, in figures: outline → draft on a real model (a bench, not a test).

    .venv/bin/python tests/bench/bench_quality.py [--set tuning|report|report-1|both] [--configs a,b,…]
        [--before-tree DIR] [--model demo] [--seed 1] [--out drafts.jsonl]

Each configuration runs in a child process over one source tree, one after another in one run,
so "before" and "after" share the machine's state. The parent computes every figure with one
definition (writer_app/writing/guards.py, outline.thought_issues), whatever tree wrote the text.

Configurations:
  baseline   one plain chat request ("write the essay, no outline") with repeat_penalty 1.15,
             presence_penalty 1.2, frequency_penalty 0.3: the figure the staged pipeline must beat
  before     the pipeline of --before-tree (a worktree of the commit before this work)
  full       this tree's pipeline as configured in resources/
  no-dry     full, without the DRY sampler and presence penalty ([limits.sampling] emptied)
  no-guard   full, without the sentence guard
  json       full, with the 构思 in schema-constrained JSON instead of one question per section
  so-far     full, each part asked with the text so far (completion style) instead of a chat turn

Per draft: length ratio (body ÷ target, in the genre's unit), near-duplicate sentences, copied
share (of the 构思, beyond the prompt), assistant talk and plan labels, loops, seconds, tokens.
Per 构思: 审题 items that are prompt fragments, duplicate part purposes, cut strings, generic 素材,
seconds, and seconds to the first section's text.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONFIGS = ("baseline", "before", "full", "no-dry", "no-guard", "json", "so-far")
BASELINE = {"repeat_penalty": 1.15, "presence_penalty": 1.2, "frequency_penalty": 0.3}


def load_prompts(which: str) -> list[dict[str, Any]]:
    raw = tomllib.loads((HERE / "quality_prompts.toml").read_text(encoding="utf-8"))["prompt"]
    return [p for p in raw if p["set"] == which or (which == "both" and p["set"] in ("tuning", "report"))]


# --------------------------------------------------------------------------------------------
# the child: one configuration over one tree; prints one JSON line per prompt
# --------------------------------------------------------------------------------------------
class Counted:
    """The engine, counting streamed tokens, and the requests it answered with no text at all."""

    def __init__(self, engine: Any) -> None:
        self.inner, self.tokens, self.empty = engine, 0, 0
        self.requests: list[dict[str, Any]] = []  # per request: the last user turn's start, the answer

    def stream(self, messages: Any, params: Any = None, cancel: Any = None) -> Any:
        wrote = ""
        users = [m["content"] for m in messages if m["role"] == "user"]
        asked = users[-1].split("\n\n")[-1][:50] if users else ""
        log = {"asked": asked, "resumed": messages[-1]["role"] == "assistant", "wrote": "", "end": ""}
        self.requests.append(log)
        try:
            for chunk in self.inner.stream(messages, params, cancel):
                self.tokens += chunk.tokens
                wrote += chunk.text
                if chunk.finish_reason is not None:
                    log["end"] = chunk.finish_reason.value
                    if not wrote.strip():
                        self.empty += 1
                yield chunk
        finally:  # the draft closes a stream early once a sentence is refused or the budget met
            log.update(wrote=wrote[:60], chars=len(wrote), end=log["end"] or "closed")

    def close(self) -> None:
        self.inner.close()


def child(config: str, model: str | None, seed: int, prompts: list[dict[str, Any]]) -> None:
    import inspect

    from writer_app.config import AppPaths, load_settings
    from writer_app.domain import find_genre, load_genres
    from writer_app.llm.engine import GenerationParams, collect
    from writer_app.llm.local import default_params, make_engine, make_registry
    from writer_app.resources import locate, resources_dir
    from writer_app.writing import draft as draft_mod
    from writer_app.writing import outline as outline_mod
    from writer_app.writing.prompts import PromptSet
    from writer_app.writing.prompts import load_prompts as load_set

    res = resources_dir()
    paths = AppPaths.from_env()
    settings, _ = load_settings(paths.settings_file)
    engine, _info = make_engine(paths, make_registry(paths, locate()), settings.engine, model)
    engine.load()
    genres = load_genres(res)
    params = default_params(settings.engine, seed=seed)
    p_outline, p_draft = load_set(res, "outline"), load_set(res, "draft")
    new_api = "rules" in inspect.signature(draft_mod.draft).parameters
    rules = None
    if new_api:
        from writer_app.writing.guards import load_guard_rules

        rules = load_guard_rules(res)
    if config == "no-dry":
        p_draft = PromptSet(p_draft.name, p_draft.templates, {**p_draft.limits, "sampling": {}})
    if config == "no-guard":
        rules = None
    if config == "so-far":
        p_draft = PromptSet(p_draft.name, p_draft.templates, {**p_draft.limits, "part_style": "so_far"})
    if config == "json":
        p_outline = PromptSet(p_outline.name, p_outline.templates, {**p_outline.limits, "format": "json"})
    counted = Counted(engine)
    for pr in prompts:
        genre = find_genre(genres, pr["query_type"])
        unit = getattr(genre, "unit", "字")
        row: dict[str, Any] = {"config": config, "set": pr["set"], "genre": genre.name, "unit": unit}
        row["target"] = pr["target"]
        counted.tokens = 0
        if config == "baseline":
            t = time.perf_counter()
            user = f"{pr['query']}\n\n请直接写出这篇{genre.name}，约{pr['target']}{unit}，不要写提纲。"
            tokens = int(pr["target"] * (16 if unit == "行" else 1.6)) + 64
            p = replace(params, max_tokens=tokens, **BASELINE)
            c = collect(
                counted.stream(
                    [
                        {"role": "system", "content": "你是一位优秀的中文作者。"},
                        {"role": "user", "content": user},
                    ],
                    p,
                )
            )
            row.update(
                thought="",
                answer=c.text,
                body=c.text,
                draft_s=time.perf_counter() - t,
                outline_s=0.0,
                first_section_s=0.0,
                finish_reason=c.finish_reason.value,
                warnings=[],
                dropped=[],
            )
        else:
            t = time.perf_counter()
            first: list[float] = []
            kwargs: dict[str, Any] = {"target_chars": pr["target"]}
            if new_api:
                kwargs["rules"] = rules or _rules_for_outline(res)
                kwargs["on_event"] = lambda ev, first=first, t0=t: (
                    first.append(time.perf_counter() - t0) if ev.kind == "section" and not first else None
                )
            thought = outline_mod.generate_outline(counted, p_outline, pr["query"], genre, params, **kwargs)
            row["outline_s"] = time.perf_counter() - t
            row["first_section_s"] = first[0] if first else row["outline_s"]
            row["outline_tokens"] = counted.tokens
            counted.tokens = counted.empty = 0
            counted.requests = []
            t = time.perf_counter()
            kwargs = {"target_chars": pr["target"]}
            if new_api:
                kwargs["rules"] = rules
            result = draft_mod.collect_draft(
                draft_mod.draft(
                    counted,
                    p_draft,
                    pr["query"],
                    thought,
                    genre,
                    GenerationParams(**params.to_dict()),
                    **kwargs,
                )
            )
            row.update(
                thought=thought.to_markdown(),
                answer=result.answer,
                body=result.body,
                draft_s=time.perf_counter() - t,
                finish_reason=result.finish_reason,
                warnings=result.warnings,
                dropped=getattr(result, "dropped", []),
                parts=[p.to_dict() for p in result.parts],
                requests=counted.requests,
            )
        row["tokens"] = counted.tokens
        row["empty_answers"] = counted.empty  # the draft's requests answered with nothing
        row["query"] = pr["query"]
        print(json.dumps(row, ensure_ascii=False), flush=True)
    engine.close()


def _rules_for_outline(res: Path) -> Any:
    from writer_app.writing.guards import load_guard_rules

    return load_guard_rules(res)


# --------------------------------------------------------------------------------------------
# the parent: run the configurations, compute the figures, print the tables
# --------------------------------------------------------------------------------------------
def run_config(config: str, tree: Path, args: argparse.Namespace, which: str) -> list[dict[str, Any]]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("WRITER_APP_RESOURCES", None)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        config,
        "--set",
        which,
        "--seed",
        str(args.seed),
    ]
    if args.model:
        cmd += ["--model", args.model]
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(f"{config} failed (rc {out.returncode})")
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    print(f"# {config}: {len(rows)} prompts in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    return rows


def figures(row: dict[str, Any], rules: Any) -> dict[str, Any]:
    from writer_app.domain import Thought
    from writer_app.writing.draft import length_measure
    from writer_app.writing.guards import text_report
    from writer_app.writing.outline import thought_issues

    body = row["body"]
    rep = text_report(body, rules, prompt=row["query"], sources=[row["thought"]] if row["thought"] else [])
    got = length_measure(row["unit"])(body)
    f = {
        "length": got / row["target"],
        "near_dup": rep["near_duplicates"],
        "copied": rep["copied_share"],
        "talk": rep["assistant_talk"] + rep["plan_labels"],
        "loops": rep["loops"],
        "draft_s": row["draft_s"],
        "tokens": row["tokens"],
        "dropped": len(row.get("dropped") or []),
        "empty": row.get("empty_answers", 0),
        "finish": row["finish_reason"],
        "warned": bool(row.get("warnings")),
    }
    if row["thought"]:
        iss = thought_issues(Thought.from_markdown(row["thought"]), row["query"], rules, row["target"])
        f.update(
            missing=len(iss.missing),
            fragments=len(iss.fragments),
            dup_purposes=len(iss.duplicate_purposes),
            cut=len(iss.cut),
            generic=len(iss.generic),
            outline_s=row["outline_s"],
            first_s=row["first_section_s"],
        )
    return f


def table(rows: list[dict[str, Any]], rules: Any) -> str:
    head = (
        "| config | set | genre | length | near-dup | copied | talk+labels | loops | dropped | draft s | tokens "
        "| 审题 fragments | dup purposes | cut | generic 素材 | missing sections | 构思 s | first section s | finish |"
    )
    lines = [head, "|" + "---|" * 19]
    for r in rows:
        f = figures(r, rules)
        o = (
            f"{f['fragments']} | {f['dup_purposes']} | {f['cut']} | {f['generic']} | {f['missing']} "
            f"| {f['outline_s']:.1f} | {f['first_s']:.1f}"
            if "fragments" in f
            else "— | — | — | — | — | — | —"
        )
        lines.append(
            f"| {r['config']} | {r['set']} | {r['genre']} | {f['length']:.2f} | {f['near_dup']} | {f['copied']:.1%} "
            f"| {f['talk']} | {f['loops']} | {f['dropped']} | {f['draft_s']:.1f} | {f['tokens']} | {o} | {f['finish']} |"
        )
    return "\n".join(lines)


def totals(rows: list[dict[str, Any]], rules: Any) -> str:
    lines = [
        "| config | set | drafts | within ±15 % | max near-dup | total near-dup | max copied | talk+labels "
        "| loops | max draft s | median draft s | 审题 fragments | dup purposes | cut | max generic | missing sections "
        "| max 构思 s | min length | empty answers |",
        "|" + "---|" * 19,
    ]
    keys: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        keys.setdefault((r["config"], r["set"]), []).append(figures(r, rules))
    for (config, which), fs in keys.items():
        has_o = "fragments" in fs[0]
        lines.append(
            f"| {config} | {which} | {len(fs)} | {sum(abs(f['length'] - 1) <= 0.15 for f in fs)} "
            f"| {max(f['near_dup'] for f in fs)} | {sum(f['near_dup'] for f in fs)} | {max(f['copied'] for f in fs):.1%} "
            f"| {sum(f['talk'] for f in fs)} | {sum(f['loops'] for f in fs)} | {max(f['draft_s'] for f in fs):.0f} "
            f"| {statistics.median(f['draft_s'] for f in fs):.0f} | "
            + (
                f"{sum(f['fragments'] for f in fs)} | {sum(f['dup_purposes'] for f in fs)} | {sum(f['cut'] for f in fs)} "
                f"| {max(f['generic'] for f in fs)} | {sum(f['missing'] for f in fs)} | {max(f['outline_s'] for f in fs):.0f} |"
                if has_o
                else "— | — | — | — | — | — |"
            )
            + f" {min(f['length'] for f in fs):.2f} | {sum(f['empty'] for f in fs)} |"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="both", choices=("tuning", "report", "report-1", "both"))
    ap.add_argument("--configs", default="baseline,before,full")
    ap.add_argument("--before-tree", type=Path, help="a worktree of the commit before this work")
    ap.add_argument("--model")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, help="write every row (texts included) to this JSONL file")
    ap.add_argument("--from-rows", type=Path, help="print the tables of a saved --out file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.model, args.seed, load_prompts(args.set))
        return 0
    sys.path.insert(0, str(ROOT))
    from writer_app.writing.guards import load_guard_rules

    rules = load_guard_rules(ROOT / "resources")
    if args.from_rows:
        rows = [json.loads(x) for x in args.from_rows.read_text(encoding="utf-8").splitlines() if x.strip()]
    else:
        rows = []
        for config in args.configs.split(","):
            if config not in CONFIGS:
                raise SystemExit(f"unknown config {config}; one of {', '.join(CONFIGS)}")
            if config == "before" and args.before_tree is None:
                raise SystemExit("before needs --before-tree DIR (git worktree add DIR <base commit>)")
            tree = args.before_tree if config == "before" else ROOT
            rows += run_config(config, tree.resolve(), args, args.set)
            if args.out:
                args.out.write_text(
                    "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
                )
    print(table(rows, rules))
    print()
    print(totals(rows, rules))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
