"""Classroom mode's engine against a real OpenAI-compatible server (llama-cpp-python's
``llama_cpp.server`` with the tiny synthetic model) and a scripted misbehaving one."""

from __future__ import annotations

import datetime
import ipaddress
import json
import threading
import time
from pathlib import Path

import pytest
from openai_stub import LlamaServer, Misbehaving, free_port

from writer_app.config import EngineSettings, ServerSettings
from writer_app.errors import BadInputError, WriterAppError
from writer_app.llm.engine import CancelToken, Chunk, FinishReason, GenerationParams, collect
from writer_app.llm.remote import (
    BROKEN,
    RemoteEngine,
    ServerConfig,
    host_label,
    normalize_base_url,
    opening_grammar,
    same_model,
    server_config,
    strip_repeat,
)
from writer_app.writing.draft import collect_draft, continue_text
from writer_app.writing.structured import generate_json

KEY = "class-7b-key"
HELLO = [{"role": "user", "content": "你好"}]
SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string", "maxLength": 8}, "n": {"type": "integer"}},
    "required": ["title", "n"],
}


@pytest.fixture(scope="module")
def server(tiny_model: Path):
    srv = LlamaServer(tiny_model, api_key=KEY)
    yield srv
    srv.stop()


def engine_for(url: str, **kw) -> RemoteEngine:
    kw.setdefault("backoff_s", 0.05)
    return RemoteEngine(ServerConfig(normalize_base_url(url), **kw))


# -- a real server ------------------------------------------------------------------------------
def test_streams_whole_characters_and_ends_with_one_final_chunk(server):
    engine = engine_for(server.url, api_key=KEY)
    assert engine.load()["models"] == ["tiny"]
    chunks = list(engine.stream(HELLO, GenerationParams(max_tokens=40, seed=1)))
    assert [c.done for c in chunks].count(True) == 1 and chunks[-1].done
    text = [c for c in chunks if not c.done]
    assert len(text) > 1 and all(c.text for c in text)
    "".join(c.text for c in text).encode("utf-8")  # no lone surrogates
    final = chunks[-1]
    assert final.finish_reason in (FinishReason.LENGTH, FinishReason.STOP)
    # every token is accounted for (a piece that may start a <think> tag rides with the next)
    assert final.stats.completion_tokens == sum(c.tokens for c in text) and final.stats.ttft_s > 0


def test_cancel_mid_stream_closes_it_and_the_server_serves_the_next_request(server):
    engine = engine_for(server.url, api_key=KEY)
    cancel = CancelToken()
    texts, final, cancelled_at = [], None, 0.0
    # llama_cpp.server streams the random tiny model slowly past ~100 tokens (300 take ~10 s), and
    # it notices a closed stream only after its current chunk: keep the request short
    for chunk in engine.stream(HELLO, GenerationParams(max_tokens=120, loop_guard=False), cancel):
        if chunk.done:
            final = chunk
            break
        texts.append(chunk.text)
        if len(texts) == 5:
            cancelled_at = time.monotonic()
            threading.Thread(target=cancel.cancel).start()  # a Stop button, from another thread
    assert final is not None and final.finish_reason is FinishReason.CANCELLED and final.message == ""
    assert time.monotonic() - cancelled_at < 1.0
    assert 5 <= len(texts) < 120
    again = collect(engine.stream(HELLO, GenerationParams(max_tokens=8)))
    assert again.finish_reason is FinishReason.LENGTH and again.text


def test_json_falls_back_to_the_grammar_format_llama_cpp_server_accepts(server):
    engine = engine_for(server.url, api_key=KEY)
    assert engine.structured_mode == ""
    data, completion = generate_json(engine, HELLO, SCHEMA, GenerationParams(max_tokens=80, seed=3))
    assert engine.structured_mode == "json_object"  # it refuses OpenAI's json_schema with a 500
    assert isinstance(data["title"], str) and isinstance(data["n"], int)
    assert completion.finish_reason is FinishReason.STOP


def test_a_wrong_key_gets_a_clear_401_line(server):
    for key in ("wrong", ""):
        with pytest.raises(WriterAppError, match="HTTP 401.*API 密钥"):
            engine_for(server.url, api_key=key).load()
        final = collect(engine_for(server.url, api_key=key, model="tiny").stream(HELLO))
        assert final.finish_reason is FinishReason.ERROR and "401" in final.message


def test_an_unknown_model_lists_the_servers_models(server):
    with pytest.raises(WriterAppError, match="没有模型「qwen-72b」.*tiny"):
        engine_for(server.url, api_key=KEY, model="qwen-72b").load()


def test_server_killed_mid_stream_keeps_the_text_and_says_so(tiny_model: Path):
    srv = LlamaServer(tiny_model)
    try:
        engine = engine_for(srv.url)
        texts, final = [], None
        for chunk in engine.stream(HELLO, GenerationParams(max_tokens=100, loop_guard=False)):
            if chunk.done:
                final = chunk
                break
            texts.append(chunk.text)
            if len(texts) == 3:
                srv.kill()
        assert final is not None and final.finish_reason is FinishReason.ERROR
        assert final.message == BROKEN and len(texts) >= 3
        # the server is gone now: the next request is refused after its retries, in one line
        t0 = time.monotonic()
        down = collect(engine.stream(HELLO))
        assert down.finish_reason is FinishReason.ERROR and "连接被拒绝" in down.message
        assert time.monotonic() - t0 < 2
    finally:
        srv.stop()


# -- bad servers and bad addresses ----------------------------------------------------------------
def test_server_down_is_refused_after_retries():
    engine = engine_for(f"127.0.0.1:{free_port()}", retries=2)
    t0 = time.monotonic()
    with pytest.raises(WriterAppError, match="连接被拒绝.*connection refused"):
        engine.load()
    assert 0.15 <= time.monotonic() - t0 < 2  # backoff 0.05 + 0.1 between the three tries


def test_dropped_connections_are_retried_with_backoff():
    with Misbehaving("drop_first") as stub:
        c = collect(engine_for(stub.url, retries=2).stream(HELLO))
        assert c.finish_reason is FinishReason.STOP and c.text == "第一句。结束。"
        assert stub.connections == 1 + 3  # the model list, then two dropped tries and a good one
        stub.drops = 3
        c = collect(engine_for(stub.url, retries=2, model="stub").stream(HELLO))
        assert c.finish_reason is FinishReason.ERROR and "断开了连接" in c.message


def test_malformed_sse_stops_with_a_line_and_keeps_the_text():
    with Misbehaving("malformed") as stub:
        c = collect(engine_for(stub.url).stream(HELLO))
    assert c.finish_reason is FinishReason.ERROR and c.text == "第一句。"
    assert "无法解析" in c.message and "\n" not in c.message


def test_a_stream_that_is_not_sse_is_malformed():
    with Misbehaving("not_sse") as stub:
        c = collect(engine_for(stub.url).stream(HELLO))
    assert c.finish_reason is FinishReason.ERROR and "not SSE" in c.message and c.text == "第一句。"


def test_an_answer_ended_without_a_finish_reason_is_not_taken_as_complete():
    with Misbehaving("cut_short") as stub:
        c = collect(engine_for(stub.url).stream(HELLO))
    assert c.finish_reason is FinishReason.ERROR and c.text == "第一句。"
    assert "打断" in c.message


def test_concurrent_students_are_queued_not_cut_short(server):
    results = []

    def student():
        results.append(
            collect(engine_for(server.url, api_key=KEY).stream(HELLO, GenerationParams(max_tokens=30)))
        )

    threads = [threading.Thread(target=student) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [c.finish_reason for c in results] == [FinishReason.LENGTH] * 4
    assert all(c.text and c.message == "" for c in results)  # "length": all 30 tokens came


def test_keep_alive_comments_and_empty_events_are_ignored():
    with Misbehaving("pings") as stub:
        c = collect(engine_for(stub.url).stream(HELLO))
    assert c.finish_reason is FinishReason.STOP and c.text == "第一句。第二句。结束。"


def test_a_silent_server_hits_the_timeout():
    with Misbehaving("slow") as stub:
        t0 = time.monotonic()
        c = collect(engine_for(stub.url, timeout_s=0.5).stream(HELLO))
    assert time.monotonic() - t0 < 2.5
    assert c.finish_reason is FinishReason.ERROR and "0.5 秒没有发来任何内容" in c.message
    assert c.text == "第一句。"


def test_cancel_while_the_server_is_silent_returns_at_once():
    with Misbehaving("slow") as stub:
        cancel = CancelToken()
        threading.Timer(0.3, cancel.cancel).start()
        t0 = time.monotonic()
        c = collect(engine_for(stub.url).stream(HELLO, cancel=cancel))
    assert c.finish_reason is FinishReason.CANCELLED and time.monotonic() - t0 < 1.0


def test_an_html_error_page_is_named_as_such():
    with Misbehaving("html") as stub:
        c = collect(engine_for(stub.url, retries=1).stream(HELLO))
    assert c.finish_reason is FinishReason.ERROR
    assert "返回了网页" in c.message and "502 Bad Gateway" in c.message


def test_a_web_site_is_not_an_openai_server():
    with Misbehaving("html200") as stub, pytest.raises(WriterAppError, match="网页.*不是 OpenAI 兼容"):
        engine_for(stub.url).list_models()


def test_a_server_without_the_api_says_so():
    from http_server import FileServer

    with FileServer({}) as files, pytest.raises(WriterAppError, match="没有 /v1/models 接口.*HTTP 404"):
        engine_for(files.base_url).list_models()


def test_a_different_model_in_the_answer_is_refused_before_any_text():
    with Misbehaving("other_model") as stub:
        c = collect(engine_for(stub.url).stream(HELLO))
    assert c.finish_reason is FinishReason.ERROR and c.text == ""
    assert "another-model" in c.message and "stub" in c.message


def test_usage_and_timings_fill_the_stats():
    with Misbehaving("usage") as stub:
        c = collect(engine_for(stub.url).stream(HELLO))
    s = c.stats
    assert (s.prompt_tokens, s.completion_tokens, s.prompt_tokens_cached, s.prompt_tokens_evaluated) == (
        40,
        3,
        30,
        10,
    )
    assert s.prompt_s == pytest.approx(0.05) and s.gen_s == pytest.approx(0.02)


def test_a_server_refusing_json_schema_gets_json_object_and_the_choice_sticks():
    with Misbehaving("no_json_schema") as stub:
        engine = engine_for(stub.url)
        collect(engine.stream(HELLO, GenerationParams(json_schema=SCHEMA)))
        assert [r.get("response_format", {}).get("type") for r in stub.requests] == [
            "json_schema",
            "json_object",
        ]
        collect(engine.stream(HELLO, GenerationParams(json_schema=SCHEMA)))
        assert stub.requests[-1]["response_format"]["type"] == "json_object"
        assert stub.requests[-1]["response_format"]["schema"]["properties"]["title"]["maxLength"] == 8


def test_prompt_mode_puts_the_schema_in_the_system_message():
    with Misbehaving("ok") as stub:
        engine = engine_for(stub.url, structured="prompt", json_instruction="JSON only: ${schema}")
        collect(
            engine.stream([{"role": "system", "content": "S"}, *HELLO], GenerationParams(json_schema=SCHEMA))
        )
    body = stub.requests[-1]
    assert "response_format" not in body
    assert body["messages"][0]["content"].startswith("S\n\nJSON only: {")
    assert json.loads(body["messages"][0]["content"].split("JSON only: ", 1)[1]) == SCHEMA


def test_the_draft_decoding_reaches_the_server_as_llama_servers_fields():
    with Misbehaving("ok") as stub:
        engine = engine_for(stub.url)
        collect(
            engine.stream(
                HELLO,
                GenerationParams(presence_penalty=0.3, dry_multiplier=0.8, avoid=["x"], ban_first=["y"]),
            )
        )
        collect(engine.stream(HELLO, GenerationParams()))
    dry, plain = stub.requests
    assert dry["presence_penalty"] == 0.3 and dry["dry_multiplier"] == 0.8 and dry["dry_allowed_length"] == 2
    assert "avoid" not in dry  # the refused text is the local engine's; the guard still refuses it
    assert "ban_first" not in dry and "logit_bias" not in dry  # no server bias is first-position only
    assert dry["grammar"] == opening_grammar(["y"])  # llama-server's grammar bars the opening instead
    assert "dry_multiplier" not in plain and plain["presence_penalty"] == 0.0 and "grammar" not in plain


def test_barred_openings_leave_json_and_thinking_alone():
    with Misbehaving("ok") as stub:
        engine = engine_for(stub.url)
        collect(engine.stream(HELLO, GenerationParams(ban_first=["y"], thinking=True)))
        collect(engine.stream(HELLO, GenerationParams(ban_first=["“"])))  # no word to bar
    assert all("grammar" not in body for body in stub.requests)


def test_the_opening_grammar_bars_the_word_in_llama_cpps_own_grammar_engine(tiny_model):
    """The grammar a classroom server gets, run by llama.cpp's grammar engine (llama-server's) on
    the tiny model: the barred word's character cannot open the answer, leading marks and control
    characters do not count as the opening, and an answer cannot end before it opens."""
    import llama_cpp  # the test process may load it; the app's GUI process never does

    llm = llama_cpp.Llama(str(tiny_model), n_ctx=512, n_threads=2, verbose=False, seed=5)

    def answer(grammar: str = "") -> str:
        kw = {"grammar": llama_cpp.LlamaGrammar.from_string(grammar, verbose=False)} if grammar else {}
        out = llm.create_completion("写作", max_tokens=12, temperature=0.0, **kw)
        return str(out["choices"][0]["text"])

    def first_word(text: str) -> str:
        return next(c for c in text if c.isalnum())

    plain = answer()
    barred = answer(opening_grammar(["“" + first_word(plain) + "的"]))
    assert barred and first_word(barred) != first_word(plain)
    assert opening_grammar([barred]) and first_word(answer(opening_grammar([plain, barred]))) not in (
        first_word(plain),
        first_word(barred),
    )


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "school-server")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "server.pem", tmp_path / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def test_an_untrusted_certificate_is_refused_unless_its_ca_file_is_given(tmp_path):
    cert, key = _self_signed(tmp_path)
    with Misbehaving("ok", tls=(cert, key)) as stub:
        with pytest.raises(WriterAppError, match="证书无效.*self.signed"):
            engine_for(stub.url).list_models()
        assert engine_for(stub.url, ca_file=str(cert)).list_models() == ["stub"]
        plain = stub.url.replace("https://", "http://")
        with pytest.raises(WriterAppError):
            engine_for(plain, retries=0, timeout_s=2).list_models()
    with pytest.raises(BadInputError, match="证书文件"):
        engine_for("https://127.0.0.1:1", ca_file=str(tmp_path / "missing.pem")).list_models()


def test_https_to_a_plain_http_server_is_a_tls_failure():
    with Misbehaving("ok") as stub:
        with pytest.raises(WriterAppError, match="TLS 握手失败"):
            engine_for(stub.url.replace("http://", "https://"), retries=0).list_models()


# -- continuing a text ---------------------------------------------------------------------------
WRITTEN = "坚持是一种品质。春天来了，河边的柳树"
GOING_ON = [*HELLO, {"role": "assistant", "content": WRITTEN}]


def _continue(engine: RemoteEngine) -> str:
    chunks = list(engine.stream(GOING_ON, GenerationParams(max_tokens=40, continue_last=True)))
    assert chunks[-1].finish_reason is FinishReason.STOP, chunks[-1].message
    return "".join(c.text for c in chunks)


@pytest.mark.parametrize("mode", ["prefill", "prefill_echo"])
def test_a_server_that_writes_on_from_a_prefill_gets_one_and_only_the_new_text_comes_back(mode):
    with Misbehaving(mode) as stub:
        engine = engine_for(stub.url)
        assert _continue(engine) == Misbehaving.CONTINUED  # llama-server's echo is not new text
        assert engine.continue_mode == "prefill" and engine.info["continue_mode"] == "prefill"
        probe, asked = stub.requests
        assert probe["max_tokens"] == 3 and asked["messages"] == GOING_ON
        assert _continue(engine) == Misbehaving.CONTINUED and len(stub.requests) == 3  # no new probe


def test_a_server_that_starts_a_new_answer_gets_the_text_in_an_instruction():
    with Misbehaving("new_turn") as stub:
        from writer_app.resources import locate

        settings = EngineSettings(server=ServerSettings(url=stub.url))
        engine = RemoteEngine(server_config(settings, resources=locate()))  # the shipped server.toml
        # the answer restates the last 8 characters before going on: they are not new text
        assert _continue(engine) == Misbehaving.CONTINUED
        assert engine.continue_mode == "instruction"
        asked = stub.requests[-1]["messages"]
        assert [m["role"] for m in asked] == ["user"] and asked[0]["content"].startswith("你好\n\n")
        assert asked[0]["content"].endswith(WRITTEN) and "紧接着它的最后一个字往下写" in asked[0]["content"]


def test_continue_from_the_cursor_through_a_server_adds_only_new_text():
    from writer_app.domain import Thought, find_genre, load_genres
    from writer_app.resources import resources_dir
    from writer_app.writing.prompts import load_prompts

    res = resources_dir()
    prompts, genre = load_prompts(res, "draft"), find_genre(load_genres(res), "议论文")
    thought = Thought.from_markdown("## 立意\n坚持成就自我\n")
    for mode in ("prefill_echo", "new_turn"):
        with Misbehaving(mode) as stub:
            events = continue_text(
                engine_for(stub.url), prompts, "写一篇关于坚持的议论文。", thought, genre, WRITTEN,
                GenerationParams(), chars=20,
            )  # fmt: skip
            assert collect_draft(events).parts[0].text == Misbehaving.CONTINUED


def test_the_probe_fails_like_the_request_would():
    with Misbehaving("html") as stub:
        chunks = list(engine_for(stub.url, retries=0).stream(GOING_ON, GenerationParams(continue_last=True)))
        assert chunks[-1].finish_reason is FinishReason.ERROR and "502" in chunks[-1].message
    cancel = CancelToken()
    cancel.cancel()
    with Misbehaving("prefill") as stub:
        engine = engine_for(stub.url)
        engine.load()
        chunks = list(engine.stream(GOING_ON, GenerationParams(continue_last=True), cancel))
        assert chunks[-1].finish_reason is FinishReason.CANCELLED and engine.continue_mode == ""


def test_llama_cpp_server_cannot_write_on_from_a_prefill(server):
    engine = engine_for(server.url, api_key=KEY)
    chunks = list(engine.stream(GOING_ON, GenerationParams(max_tokens=20, continue_last=True, seed=1)))
    assert chunks[-1].finish_reason in (FinishReason.LENGTH, FinishReason.STOP)
    assert engine.continue_mode == "instruction"


def _chunks(*texts: str) -> list[Chunk]:
    return [Chunk(text=t, tokens=1) for t in texts] + [Chunk(finish_reason=FinishReason.STOP)]


@pytest.mark.parametrize(
    ("texts", "kept"),
    [
        (("坚持是一种品质。", "春天来了，", "河边的柳树", "在风里"), "在风里"),  # an echo
        (
            (
                "春天来了，河边",
                "的柳树在风里",
            ),
            "在风里",
        ),  # a restated last sentence
        (("柳树", "在风里"), "柳树在风里"),  # a repeat shorter than 6 characters is kept
        (("。", "春天", "是", "一个季节"), "。春天是一个季节"),  # held while it could be a repeat
        ((WRITTEN,), ""),  # the answer ended while held: an echo only
        (("春天来了，",), "春天来了，"),  # … a piece from the middle, which may be new text
        (("在风里",), "在风里"),
    ],
)
def test_a_repeat_of_the_written_text_is_taken_off_the_start(texts, kept):
    out = list(strip_repeat(iter(_chunks(*texts)), WRITTEN))
    assert "".join(c.text for c in out) == kept and out[-1].finish_reason is FinishReason.STOP
    assert sum(c.tokens for c in out) == (len(texts) if kept else 0)
    assert list(strip_repeat(iter(_chunks(*texts)), "")) == _chunks(*texts)


def test_an_answer_cancelled_while_held_keeps_its_text():
    chunks = [Chunk(text="春天", tokens=1), Chunk(finish_reason=FinishReason.CANCELLED)]
    out = list(strip_repeat(iter(chunks), WRITTEN))
    assert [c.text for c in out] == ["春天", ""] and out[-1].finish_reason is FinishReason.CANCELLED


def test_an_unknown_host_is_named():
    with pytest.raises(WriterAppError, match="找不到服务器 no-such-host.invalid"):
        engine_for("http://no-such-host.invalid:8080").list_models()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("192.168.1.10:8080", "http://192.168.1.10:8080/v1"),
        ("http://host:11434/", "http://host:11434/v1"),
        ("https://llm.school.cn/v1/", "https://llm.school.cn/v1"),
        ("http://host:8000/v1/chat/completions", "http://host:8000/v1"),
        ("http://user:pw@host/api/v1", "http://host/api/v1"),
        ("HTTP://[::1]:8080", "http://[::1]:8080/v1"),
    ],
)
def test_server_urls_are_normalized(given, expected):
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("192.168.1.10:8080", "192.168.1.10:8080"),
        ("http://llm.school.cn/v1", "llm.school.cn:80"),
        ("https://llm.school.cn/v1", "llm.school.cn:443"),
        ("http://[::1]:8080", "[::1]:8080"),
    ],
)
def test_a_server_is_named_by_host_and_port(given, expected):
    url = normalize_base_url(given)
    assert host_label(url) == expected == engine_for(url).label


@pytest.mark.parametrize("bad", ["", "   ", "ftp://host/v1", "http://", "http://host:99999/v1"])
def test_bad_server_urls_are_refused_in_one_line(bad):
    with pytest.raises(BadInputError) as info:
        normalize_base_url(bad)
    assert "\n" not in str(info.value)


def test_model_names_match_across_paths_and_ollama_tags():
    assert same_model("qwen2.5:7b", "qwen2.5:7b")
    assert same_model("llama3", "llama3:latest")
    assert same_model("/models/Qwen2.5-7B-Q4_K_M.gguf", "qwen2.5-7b-q4_k_m")
    assert not same_model("qwen2.5:7b", "qwen2.5:14b")


# -- hostile servers: every read has a size bound, a token bound and a deadline -----------------
def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_data_lines_without_the_blank_line_stop_at_the_event_bound():
    before = _rss_mb()
    with Misbehaving("no_blank") as stub:
        t0 = time.monotonic()
        c = collect(engine_for(stub.url).stream(HELLO))
    assert time.monotonic() - t0 < 10 and _rss_mb() - before < 100
    assert c.finish_reason is FinishReason.ERROR and "无法解析" in c.message and c.text == "第一句。"


def test_an_endless_valid_stream_stops_at_the_clients_token_bound():
    with Misbehaving("endless") as stub:
        t0 = time.monotonic()
        c = collect(engine_for(stub.url).stream(HELLO, GenerationParams(max_tokens=50, loop_guard=False)))
    assert time.monotonic() - t0 < 10
    assert c.finish_reason is FinishReason.LENGTH and "max_tokens" in c.message
    assert c.stats.completion_tokens <= 50 * 1.25 + 9


def test_keep_alive_comments_forever_hit_the_silence_timeout():
    with Misbehaving("pings_forever") as stub:
        t0 = time.monotonic()
        c = collect(engine_for(stub.url, timeout_s=0.5).stream(HELLO))
    assert time.monotonic() - t0 < 3
    assert c.finish_reason is FinishReason.ERROR and "没有发来任何内容" in c.message and c.text == "第一句。"


def test_a_dribbling_server_hits_the_overall_deadline():
    with Misbehaving("dribble") as stub:
        t0 = time.monotonic()
        c = collect(engine_for(stub.url, deadline_s=1.0).stream(HELLO, GenerationParams(max_tokens=10_000)))
    assert time.monotonic() - t0 < 3
    assert c.finish_reason is FinishReason.ERROR and "总时限" in c.message and c.text.startswith("第一句。")


def test_an_oversized_answer_says_too_large_not_connection_broke(monkeypatch):
    import writer_app.llm.remote as remote

    monkeypatch.setattr(remote, "MAX_BODY", 1 << 20)
    with Misbehaving("huge") as stub:
        stub.huge_bytes = 2 << 20
        c = collect(engine_for(stub.url).stream(HELLO))
    assert c.finish_reason is FinishReason.ERROR and "上限" in c.message and c.message != BROKEN


def test_an_html_page_for_a_stream_is_named_not_called_a_broken_connection():
    with Misbehaving("html200") as stub:
        c = collect(engine_for(stub.url).stream(HELLO))
    assert c.finish_reason is FinishReason.ERROR and "网页" in c.message and c.message != BROKEN


@pytest.mark.parametrize("mode", ["thinks", "reasoning"])
def test_a_servers_thinking_is_kept_out_of_the_text(mode):
    with Misbehaving(mode) as stub:
        chunks = list(engine_for(stub.url).stream(HELLO))
        body = stub.requests[-1]
    text = "".join(c.text for c in chunks)
    thought = "".join(c.thinking for c in chunks)
    assert text == "第一句。结束。" and chunks[-1].finish_reason is FinishReason.STOP
    assert thought.startswith("想一想") and "think>" not in text
    assert body["chat_template_kwargs"] == {"enable_thinking": False}  # asked not to think
