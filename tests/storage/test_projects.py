import pytest

from writer_app.analysis.metrics import Analyzer
from writer_app.resources import resources_dir
from writer_app.storage.db import StorageError, open_database
from writer_app.storage.projects import ProjectStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    database = open_database(tmp_path / "w.db")
    yield ProjectStore(database, clock=clock, autosave_every_s=60)
    database.close()


def test_create_list_and_filter_projects(store, clock):
    a = store.create("坚持", "议论文", "写坚持", tags=["高三", "练习"])
    clock.now += 10
    b = store.create("秋天", "诗歌", "写秋天")
    assert [p.id for p in store.list_projects()] == [b.id, a.id]  # newest first
    assert [p.id for p in store.list_projects(query_type="议论文")] == [a.id]
    assert [p.id for p in store.list_projects(tag="高三")] == [a.id]
    assert [p.id for p in store.list_projects(since=clock.now)] == [b.id]
    assert store.find("秋天").id == b.id and store.find(str(a.id)).id == a.id and store.find(a.uid).id == a.id
    with pytest.raises(StorageError):
        store.find("没有这个")


def test_trash_restore_and_delete_only_from_the_trash(store):
    p = store.create("草稿")
    with pytest.raises(StorageError, match="回收站"):
        store.delete(p.id)
    store.trash(p.id)
    assert store.list_projects() == [] and [x.id for x in store.list_projects(trashed=True)] == [p.id]
    store.untrash(p.id)
    assert [x.id for x in store.list_projects()] == [p.id]
    store.trash(p.id)
    store.delete(p.id)
    with pytest.raises(StorageError):
        store.get(p.id)


def test_typing_autosaves_at_once_but_coalesces_revisions(store, clock):
    p = store.create("草稿")
    made = []
    for i in range(50):  # a burst of typing, one call per pause
        clock.now += 1
        made.append(store.autosave(p.id, "answer", "春" * (i + 1)))
    assert store.get(p.id).answer == "春" * 50  # the current text is always saved
    revs = store.revisions(p.id, "answer")
    assert sum(made) == len(revs) == 1  # the first save, then at most one per 60 s
    clock.now += 61
    assert store.autosave(p.id, "answer", "春" * 51)
    assert [r.text for r in store.revisions(p.id, "answer")][0] == "春" * 51


def test_generations_and_snapshots_are_revisions_with_their_log(store):
    p = store.create("作文")
    gid = store.log_generation(p.id, "draft", "demo", {"seed": 1}, {"gen_tps": 45.0})
    rev = store.set_text(p.id, "answer", "初稿。", kind="generation", generation_id=gid)
    assert rev.kind == "generation" and rev.generation_id == gid
    assert store.generations(p.id)[0]["params"] == {"seed": 1}
    store.set_text(p.id, "thought", "## 立意\n坚持")
    snaps = store.snapshot(p.id, "交给老师前")
    assert {r.field for r in snaps} == {"thought", "answer"} and all(r.label == "交给老师前" for r in snaps)


def test_restore_keeps_the_current_text_as_a_revision(store, clock):
    p = store.create("作文")
    first = store.set_text(p.id, "answer", "第一稿。")
    clock.now += 5
    store.autosave(p.id, "answer", "第一稿。第二天又改了很多。")  # typed, not yet a revision
    restored = store.restore(first.id)
    assert store.get(p.id).answer == "第一稿。"
    texts = [r.text for r in store.revisions(p.id, "answer")]
    assert "第一稿。第二天又改了很多。" in texts  # nothing lost
    assert restored.kind == "restore" and texts[0] == "第一稿。"


def test_a_chinese_diff_is_by_words():
    store = ProjectStore(database=None, tokenize=Analyzer(resources_dir()).tokens)  # type: ignore[arg-type]
    ops = store.diff("我们今天去公园散步。", "我们明天去公园跑步。")
    assert [(o.op, o.text) for o in ops if o.op != "equal"] == [
        ("delete", "今天"),
        ("insert", "明天"),
        ("delete", "散步"),
        ("insert", "跑步"),
    ]
    assert "".join(o.text for o in ops if o.op != "insert") == "我们今天去公园散步。"


def test_unknown_projects_and_fields_are_clear(store):
    with pytest.raises(StorageError):
        store.autosave(999, "answer", "x")
    p = store.create()
    with pytest.raises(ValueError):
        store.autosave(p.id, "title", "x")


def test_annotations_follow_their_quote_and_detach_when_it_is_gone(store):
    p = store.create("作文")
    store.set_text(p.id, "answer", "开头平淡。中间的例子很好。结尾仓促。")
    text = store.get(p.id).answer
    a = store.annotate(p.id, "answer", text.index("中间"), text.index("好") + 1, "例子具体", author="王老师")
    b = store.annotate(p.id, "answer", text.index("结尾"), text.index("仓促") + 2, "再展开")
    assert a.quote == "中间的例子很好" and a.author == "王老师"
    store.autosave(p.id, "answer", "新的开头，先设悬念。中间的例子很好。结尾改好了。")
    moved, gone = store.annotation(a.id), store.annotation(b.id)
    new = store.get(p.id).answer
    assert new[moved.start : moved.end] == "中间的例子很好" and not moved.detached
    assert gone.detached and gone.body == "再展开"  # kept, never dropped
    store.autosave(p.id, "answer", new + "结尾仓促。")
    assert not store.annotation(b.id).detached  # the text came back: re-attached
    store.resolve(a.id)
    assert store.annotation(a.id).resolved
    assert [x.id for x in store.annotations(p.id, "answer")] == [a.id, b.id]


def test_annotations_outside_the_text_or_empty_are_refused(store):
    p = store.create()
    store.set_text(p.id, "thought", "## 立意\n坚持")
    with pytest.raises(StorageError):
        store.annotate(p.id, "thought", 0, 999, "x")
    with pytest.raises(StorageError):
        store.annotate(p.id, "thought", 0, 2, "  ")


def test_a_critique_is_kept_with_the_answer_it_judged(store):
    p = store.create("点评")
    rev = store.set_text(p.id, "answer", "正文", kind="generation")
    cid = store.save_critique(
        p.id, {"total": 42, "max_total": 60, "rubric": "gaokao", "source": "model", "x": [1]}
    )
    (c,) = store.critiques(p.id)
    assert c["id"] == cid and c["revision_id"] == rev.id and (c["total"], c["max_total"]) == (42, 60)
    assert c["data"]["x"] == [1]
