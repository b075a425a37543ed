from pathlib import Path

import pytest

from writer_app.errors import BadInputError
from writer_app.resources import resources_dir
from writer_app.writing.guards import (
    CopySource,
    SentenceGuard,
    copied_share,
    hygiene_hits,
    load_guard_rules,
    near_duplicates,
    split_sentences,
    text_report,
)


@pytest.fixture
def rules():
    return load_guard_rules(resources_dir())


def test_sentences_end_at_end_marks_and_line_ends():
    assert split_sentences("他说：“走吧！”我们走了。\n天黑了\n\n") == [
        "他说：“走吧！”",
        "我们走了。",
        "天黑了",
    ]


@pytest.mark.parametrize(
    "later, dup",
    [
        ("我们要坚持不懈地努力学习，才能取得好成绩。", True),  # exact
        ("才能取得好成绩，我们要坚持不懈地努力学习。", True),  # clauses reordered
        ("我们要坚持不懈地刻苦学习，才能取得好成绩。", True),  # one word changed
        ("操场边的梧桐树落下了第一片黄叶。", False),
        ("好成绩。", False),  # under 4 Han characters: never a repeat
    ],
)
def test_near_duplicates_follow_the_bigram_rule(rules, later, dup):
    text = "我们要坚持不懈地努力学习，才能取得好成绩。" + later
    assert bool(near_duplicates(text, rules)) is dup


def test_copied_runs_count_the_plan_but_not_the_prompt(rules):
    plan = "1. 论证（约300字）：用屠呦呦试验一百九十次的事例说明坚持"
    prompt = "写一篇关于坚持不懈的议论文"
    src = CopySource([plan], prompt, rules.copy_run)
    assert src.copied_run("屠呦呦试验一百九十次的事例说明坚持很重要。")
    assert not src.copied_run("写一篇关于坚持不懈的议论文，我想先说一个故事。")  # the prompt's own words
    assert copied_share("用屠呦呦试验一百九十次的事例说明", src) == 1.0
    assert copied_share("屠呦呦在实验室里失败过很多次。", src) == 0.0


def test_a_copied_run_over_two_short_sentences_is_caught_like_the_figure_counts_it(rules):
    plan = "立意：那盏灯亮了起来。我们一起笑了很久。"
    src = CopySource([plan], "写一篇记叙文", rules.copy_run, whole=0)  # runs only
    guard = SentenceGuard(rules, src)
    first, second = "那盏灯亮了起来。", "我们一起笑了很久。"
    assert guard.check(first) is None and guard.check(second) is None  # each alone is under 12
    assert guard.check(second, before=first).reason == "copy"  # together they copy the plan
    assert copied_share(first + second, src) == 1.0


def test_the_sentence_guard_names_its_reason(rules):
    guard = SentenceGuard(rules, CopySource(["素材：王羲之临池学书池水尽黑的故事"], "", rules.copy_run))
    guard.seed("我们要坚持不懈地努力学习，才能取得好成绩。")
    assert guard.check("您可以根据实际情况补充。").reason == "assistant"
    assert guard.check("第二部分：举例论证。").reason == "label"
    assert guard.check("王羲之临池学书池水尽黑的故事告诉我们。").reason == "copy"
    assert guard.check("才能取得好成绩，我们要坚持不懈地努力学习。").reason == "repeat"
    assert guard.check("操场边的梧桐树落下了第一片黄叶。") is None


def test_the_report_counts_every_kind(rules):
    text = "以下是文章。\n我们要坚持不懈地努力学习。我们要坚持不懈地努力学习。\n## 结尾\n哈哈哈哈哈哈哈哈哈哈哈哈哈哈"
    rep = text_report(text, rules)
    assert rep["near_duplicates"] == 1 and rep["assistant_talk"] == 1 and rep["plan_labels"] == 1
    assert rep["loops"] >= 1
    assert [k for k, _m, _s in hygiene_hits(text, rules)] == ["assistant", "label"]


@pytest.mark.parametrize(
    "sentence",
    [
        "该论文通过合理的论证、论据以及实际操作，探讨了两者的关系。",
        "最后，本论文还补充了实际人物的介绍。",
        "本文通过两个事例说明了坚持的意义。",
        "本文回顾了李华和王强的工作成就，强调了效率的实现需要速度与精确度。",
        "它总结了全文的观点，并回扣了题目。",
    ],
)
def test_a_text_describing_itself_is_assistant_talk(rules, sentence):
    assert [k for k, _m, _s in hygiene_hits(sentence, rules, human=True)] == ["assistant"]


def test_a_student_naming_a_text_is_not_talk(rules):
    assert not hygiene_hits("鲁迅的这篇文章写于一九二五年。我读了三遍课文。", rules, human=True)


def test_generic_materials_name_nothing(rules):
    assert rules.is_generic("本文需要具体的事例、人物、意象等")
    assert rules.is_generic("相关的名人名言")
    assert not rules.is_generic("苏轼在黄州写下《定风波》")
    assert not rules.is_generic("爷爷在村口修了四十年自行车")


def test_broken_rules_file_is_one_line(tmp_path: Path):
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "guards.toml").write_text(
        '[assistant]\npatterns = ["(未闭合"]\n', encoding="utf-8"
    )
    with pytest.raises(BadInputError, match="guards.toml"):
        load_guard_rules(tmp_path)


def test_a_short_sentence_repeats_only_when_its_characters_are_the_same(rules):
    assert len(near_duplicates("那次，我没有放弃。风很大。那次我没有放弃！", rules)) == 1
    assert not near_duplicates("那次，我没有放弃。那次，我们没有放弃。", rules)  # 7 Han: same characters only
    assert not near_duplicates("雨停了。雨停了。", rules)  # under exact_min_han: a refrain may stand


def test_a_shortest_sentence_may_stand_twice_and_its_third_time_is_a_repeat(rules):
    """ "搬不动。" written seven times reached the editor: too short for either rule above."""
    assert [s for s, _ in near_duplicates("搬不动。我们歇了一会儿。搬不动。搬不动！搬不动。", rules)] == [
        "搬不动！",
        "搬不动。",
    ]
    assert not near_duplicates("“嗯。”“嗯。”“嗯。”", rules)  # one character: an answer in a dialogue
    guard = SentenceGuard(rules)
    for s in ("雨停了。", "雨停了。"):
        assert guard.check(s) is None
        guard.accept(s)
    verdict = guard.check("雨停了！")
    assert verdict is not None and verdict.reason == "repeat"


def test_a_short_sentence_found_whole_in_the_plan_is_a_copy(rules):
    plan = "## 结构\n1. 开头（约150字）：点明题意，引出那盏灯\n## 素材\n- 外婆的油灯"
    src = CopySource([plan], "以“那盏灯”为题，写一篇记叙文", rules.copy_run, rules.whole_min_han)
    guard = SentenceGuard(rules, src)
    assert guard.check("点明题意，引出那盏灯。").reason == "copy"  # a part's purpose set down as prose
    assert guard.check("外婆的油灯。") is None  # 5 Han: too short to tell a copy from a use
    assert guard.check("以那盏灯为题。") is None  # the prompt's own words
    assert copied_share("点明题意，引出那盏灯。外婆的油灯还亮着。", src) > 0.4


def test_inline_bracket_labels_are_plan_labels(rules):
    assert [k for k, _m, _s in hygiene_hits("他推开门。【高潮】灯亮了。", rules)] == ["label"]
