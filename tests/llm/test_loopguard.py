from writer_app.llm.loopguard import LoopGuard


def feed_all(guard: LoopGuard, text: str, step: int = 1) -> bool:
    fired = False
    for i in range(0, len(text), step):
        fired = guard.feed(text[i : i + step]) or fired
    return fired


def test_phrase_repeated_four_times_fires():
    g = LoopGuard()
    assert feed_all(g, "开头。" + "我爱我的祖国。" * 4)
    assert g.unit is not None and len(g.unit) == len("我爱我的祖国。")


def test_three_repeats_do_not_fire():
    g = LoopGuard()
    assert not feed_all(g, "开头。" + "我爱我的祖国。" * 3 + "然后我们去了公园。")


def test_short_interjections_and_ellipses_are_normal_writing():
    g = LoopGuard()
    text = "“哈哈哈哈！”他笑道……“好好好。”窗外的雨，滴答，滴答，滴答。"
    assert not feed_all(g, text)


def test_parallelism_with_variation_is_not_a_loop():
    g = LoopGuard()
    text = "我爱春天的花，我爱夏天的雨，我爱秋天的月，我爱冬天的雪，我爱四季的轮回。"
    assert not feed_all(g, text, step=3)


def test_detects_loop_fed_in_multi_character_chunks_at_any_phase():
    g = LoopGuard()
    assert feed_all(g, "前言" + "ABCDE" * 6, step=7)


def test_blank_lines_are_not_a_loop():
    g = LoopGuard()
    assert not feed_all(g, "第一段。\n\n\n\n\n\n\n\n\n\n\n\n\n\n第二段。")


def test_min_repeats_is_configurable():
    g = LoopGuard(min_repeats=6)
    assert not feed_all(g, "我爱我的祖国。" * 5)
    assert g.feed("我爱我的祖国。")


def test_find_loops_agrees_with_the_streaming_guard_on_a_whole_text():
    from writer_app.llm.loopguard import find_loops

    text = "开头。" + "我爱我的祖国。" * 5 + "中间正常的句子。" + "哈哈" * 8 + "结尾"
    rotations = {"我爱我的祖国。"[i:] + "我爱我的祖国。"[:i] for i in range(7)}
    loops = find_loops(text)
    assert len(loops) == 2 and loops[0] == "哈哈" and loops[1] in rotations
    assert find_loops("我爱春天的花，我爱夏天的雨，我爱秋天的月。") == []
    assert find_loops("短") == []
