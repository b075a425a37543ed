import pytest

from writer_app.analysis.metrics import Analyzer
from writer_app.resources import resources_dir


@pytest.fixture(scope="module")
def analyzer():
    a = Analyzer(resources_dir())
    a.warm_up_in_background().join()
    return a


ESSAY = (
    "那一次，我找回了自尊\n"
    "老师笑容可掬地走进教室。因为下雨，所以我们没有出去。\n\n"
    "虽然我很紧张，但是我还是举起了手！我说：“我来试试。”\n"
    "他不仅没有批评我，而且夸我勇敢。"
)


def test_the_warm_up_runs_its_follow_up_once_the_dictionary_is_loaded():
    a = Analyzer(resources_dir())
    seen: list[bool] = []
    thread = a.warm_up_in_background(then=lambda: seen.append(a._tokenizer is not None))
    assert a.warm_up_in_background(then=lambda: seen.append(False)) is thread  # once only
    thread.join()
    assert seen == [True]


def test_counts_follow_the_gaokao_grid(analyzer):
    r = analyzer.analyze(ESSAY)
    assert r.chars == sum(1 for c in ESSAY if not c.isspace())
    assert r.paragraphs == 4
    assert r.punctuation == sum(ESSAY.count(p) for p in "，。！：“”")
    assert r.han_chars == r.chars - r.punctuation
    assert r.sentences == 6  # the title line, then sentences ended by 。！ or a line break
    assert not r.gaokao_length_ok and r.target_chars == 800


def test_connectives_idioms_and_keywords(analyzer):
    r = analyzer.analyze(ESSAY, prompt="以“自尊”为题写一篇记叙文")
    assert r.connectives >= 6  # 因为 所以 虽然 但是 而且 + the pairs
    assert "笑容可掬" in r.idioms
    assert "自尊" in r.keywords
    assert r.prompt_overlap is not None and r.prompt_overlap > 0


def test_lexical_diversity_is_bounded_and_information_only(analyzer):
    r = analyzer.analyze(ESSAY)
    assert 0 < r.mattr <= 1 and 0 < r.ttr <= 1
    assert r.mattr == r.ttr  # fewer words than the 50-word window
    long = analyzer.analyze("我们在春天种树，在夏天乘凉，在秋天收获，在冬天读书。" * 10)
    assert long.mattr > long.ttr  # a window sees more variety than the whole repetitive text


def test_repetition_and_loops(analyzer):
    r = analyzer.analyze("开头一句话。" + "我爱我的祖国。" * 5 + "结尾。")
    assert r.loops and "祖国" in r.loops[0]
    assert any(g["count"] >= 3 for g in r.repeated_ngrams)


def test_length_check_uses_the_target(analyzer):
    text = "好" * 820
    assert analyzer.analyze(text).gaokao_length_ok
    assert not analyzer.analyze(text, target_chars=1000).gaokao_length_ok


def test_english_text_is_analyzed_without_han_characters(analyzer):
    r = analyzer.analyze("This is an English essay. It costs 3.14 dollars.")
    assert r.han_chars == 0 and r.sentences == 2 and r.words > 5


MIXED = [
    "他在iPhone15上用ChatGPT写了abc123和ABC，Python3很好用，GPT4o与Qwen2比较，2024年10月1日。",  # no joiner
    "COIG-Writer 数据集里 query_type 有 50 种，例如 Gaokao 作文、诗歌。3.5%的样本来自 https://huggingface.co/datasets/m-a-p/COIG-Writer 。",
    "他在iPhone15上用ChatGPT-4o写了800字，花了3.14秒！Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ１２３，日本語のテキスト、한국어 텍스트。",
    "C++和C#以及.NET、Node.js v20.1；email: a.b@c.com；价格￥1,234.56元；温度-3.5℃；T恤、A股、卡拉OK、B超。",
    "😀表情符号🎉 和 emoji，tab\t分隔\r\n换行\n\n空行  两个空格 。。。……——他来到了网易杭研大厦",
    "第1章 第2节：Section 3.2.1 (see Fig. 4-a) and x_y_z = 10**3；<b>HTML</b> &amp; 代码 `print('你好')`",
]


def test_the_index_s_fast_tokens_are_jieba_s_on_the_app_s_own_texts_and_mixed_text(analyzer):
    """rjieba (jieba-rs) for the search index: the same tokens as jieba, checked on every text in
    resources/ (prompts, rubrics, genres, samples: 30 k characters) and on Latin-mixed lines."""
    from rjieba import cut  # the dependency is installed: the fast path is what is tested

    texts = [
        p.read_text(encoding="utf-8")
        for p in sorted(resources_dir().rglob("*"))
        if p.suffix in (".toml", ".md", ".txt")
    ]
    texts += MIXED
    assert sum(map(len, texts)) > 25_000
    assert cut("query_type") == ["query_type"]  # where the two differ, and the fix is needed
    for text in texts:
        assert analyzer.index_tokens(text) == analyzer.tokens(text)
