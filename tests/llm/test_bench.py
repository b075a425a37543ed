"""The benchmark runs end to end and reports every key. It prints figures; it asserts no speed."""

import json
import subprocess
import sys

KEYS = {
    "raw_tg_tps",
    "app_tg_tps",
    "tg_ratio",
    "raw_pp_tps",
    "ttft_cold_s",
    "ttft_warm_s",
    "cancel_ms",
    "load_s",
    "speed_estimate_tps",
    "speed_estimate_ratio",
}


def test_bench_json_has_the_documented_keys(slow_model):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "writer_app",
            "bench",
            "--model",
            str(slow_model),
            "--json",
            "--tokens",
            "32",
            "--prefix-tokens",
            "600",
            "--repeats",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    assert KEYS <= set(result)
    assert result["raw_tg_tps"] > 0 and result["app_tg_tps"] > 0
    assert result["warm_prompt_tokens_evaluated"] < result["prefix_tokens"] / 4  # the prefix was reused
    assert result["cancel_ms"] is not None  # the cancel landed mid-generation
