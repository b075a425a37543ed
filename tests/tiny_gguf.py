"""Build small synthetic GGUF models (llama architecture, random weights, SPM vocab with byte fallback).

They exercise the real llama.cpp load and generation paths without any download. The vocab has
no piece for 中/文/写/作, so those characters are spelled with 3 byte tokens each: the streaming
code must join the bytes before any text reaches a caller.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gguf import GGUFWriter, TokenType

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

_HAN = (
    "的一是了我不人在他有这个上们来到时大地为子说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然"
    "于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长"
    "儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感见明问力理尔点外实加全定果夫内处"
    "春夏秋冬山水风雨花草树木月光阳云海河书读笔纸课师友梦路门窗灯夜晨"
)
_WORDS = ["the", "a", "and", "to", "of", "in", "is", "it", "you", "that", "was", "for", "on", "are", "with"]


# Qwen3's special tokens: the turn markers are control tokens; <think> and </think> are plain
# added tokens (shown as text), as in the real Qwen3 vocabulary
QWEN3_TOKENS = {
    "<|im_start|>": TokenType.CONTROL,
    "<|im_end|>": TokenType.CONTROL,
    "<think>": TokenType.USER_DEFINED,
    "</think>": TokenType.USER_DEFINED,
}


def vocab(
    duplicate: bool = False, special: dict[str, TokenType] | None = None
) -> tuple[list[str], list[float], list[int]]:
    tokens = ["<unk>", "<s>", "</s>"]
    types = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
    for text, kind in (special or {}).items():
        tokens.append(text)
        types.append(kind)
    for b in range(256):
        tokens.append(f"<0x{b:02X}>")
        types.append(TokenType.BYTE)
    pieces = (
        ["▁"]
        + [f"▁{w}" for w in _WORDS]
        + list("abcdefghijklmnopqrstuvwxyz")
        + [f"▁{c}" for c in "abcdefghijklmnopqrstuvwxyz"]
    )
    pieces += list("，。！？、；：“”") + list(dict.fromkeys(_HAN))
    for p in dict.fromkeys(pieces):
        tokens.append(p)
        types.append(TokenType.NORMAL)
    if duplicate:  # a lying vocab: llama.cpp asserts (aborts the process) on duplicate tokens
        tokens[-1] = tokens[-2]
    scores = [0.0] * len(tokens)
    for i, t in enumerate(tokens):
        if types[i] == TokenType.NORMAL:
            scores[i] = -float(i) / 1000.0 + (len(t) * 0.1)
    return tokens, scores, [int(t) for t in types]


def build_gguf(
    path: Path,
    *,
    n_embd: int = 64,
    n_layer: int = 2,
    n_ff: int = 128,
    n_head: int = 4,
    context_length: int = 2048,
    seed: int = 0,
    name: str = "tiny-test",
    chat_template: str | None = CHAT_TEMPLATE,
    logit_scale: float = 4.0,
    duplicate_token: bool = False,
    claimed_block_count: int | None = None,
    arch: str = "llama",
    favour: str = "",
) -> Path:
    """``arch``: "llama", or "qwen3" (per-head q/k norms, Qwen3's special tokens in the vocab).
    ``favour``: a token the output layer makes far likelier than any other."""
    rng = np.random.default_rng(seed)
    tokens, scores, types = vocab(duplicate_token, QWEN3_TOKENS if arch == "qwen3" else None)
    n_vocab = len(tokens)
    w = GGUFWriter(str(path), arch=arch)
    w.add_name(name)
    w.add_context_length(context_length)
    w.add_embedding_length(n_embd)
    w.add_block_count(claimed_block_count if claimed_block_count is not None else n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(0)  # all F32
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    if chat_template:
        w.add_chat_template(chat_template)

    def mat(rows: int, cols: int, scale: float | None = None) -> np.ndarray:
        s = scale if scale is not None else 1.0 / np.sqrt(cols)
        return (rng.standard_normal((rows, cols)) * s).astype(np.float32)

    embd = mat(n_vocab, n_embd, 1.0)
    out = mat(n_vocab, n_embd, logit_scale / np.sqrt(n_embd))
    out[2, :] = (
        0.0  # EOS logit 0: outside top-k, so free generation runs to max_tokens; grammars can still end
    )
    if favour:  # every embedding carries a large constant in dimension 0, which only the
        embd[:, 0] = 10.0  # favoured token's output row reads: its logit stays far ahead
        out[:, 0] = 0.0
        out[tokens.index(favour), 0] = 40.0
    w.add_tensor("token_embd.weight", embd)
    w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    w.add_tensor("output.weight", out)
    for i in range(n_layer):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        w.add_tensor(f"blk.{i}.attn_q.weight", mat(n_embd, n_embd))
        w.add_tensor(f"blk.{i}.attn_k.weight", mat(n_embd, n_embd))
        w.add_tensor(f"blk.{i}.attn_v.weight", mat(n_embd, n_embd))
        w.add_tensor(f"blk.{i}.attn_output.weight", mat(n_embd, n_embd))
        if arch == "qwen3":  # RMS norms over each head's queries and keys
            w.add_tensor(f"blk.{i}.attn_q_norm.weight", np.ones(n_embd // n_head, dtype=np.float32))
            w.add_tensor(f"blk.{i}.attn_k_norm.weight", np.ones(n_embd // n_head, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", mat(n_ff, n_embd))
        w.add_tensor(f"blk.{i}.ffn_up.weight", mat(n_ff, n_embd))
        w.add_tensor(f"blk.{i}.ffn_down.weight", mat(n_embd, n_ff))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def build_tiny(path: Path) -> Path:
    """~300 KB, loads in milliseconds, generates thousands of tokens per second."""
    return build_gguf(path)


QWEN3_TEMPLATE = (Path(__file__).parent / "qwen3_chat_template.jinja").read_text(encoding="utf-8")


def build_qwen3(path: Path, *, favour: str = "") -> Path:
    """A tiny ``qwen3``-architecture model with Qwen3's special tokens and its real chat
    template (tests/qwen3_chat_template.jinja, from the Qwen3 release, Apache-2.0)."""
    return build_gguf(path, arch="qwen3", name="qwen3-tiny", chat_template=QWEN3_TEMPLATE, favour=favour)


def build_slow(path: Path) -> Path:
    """Bigger and with a long context, so prompt processing of a few thousand tokens takes seconds."""
    return build_gguf(
        path, n_embd=256, n_layer=6, n_ff=1024, n_head=4, context_length=16384, seed=1, name="slow-test"
    )
