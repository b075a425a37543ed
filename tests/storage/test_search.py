import pytest

from writer_app.analysis.metrics import Analyzer
from writer_app.resources import resources_dir
from writer_app.storage.db import open_database
from writer_app.storage.projects import ProjectStore
from writer_app.storage.search import SearchIndex


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer(resources_dir())


@pytest.fixture
def env(tmp_path, analyzer):
    database = open_database(tmp_path / "w.db")
    yield (
        ProjectStore(database, tokenize=analyzer.tokens),
        SearchIndex(database, analyzer.tokens, analyzer.subwords),
    )
    database.close()


def test_search_ranks_and_highlights_chinese_words(env):
    store, index = env
    a = store.create("围棋与人生", "议论文", "本手、妙手、俗手", tags=["高三"])
    store.set_text(a.id, "answer", "下围棋先练本手。本手扎实，妙手才会出现。")
    b = store.create("秋天的校园", "散文", "写秋天")
    store.set_text(b.id, "answer", "秋天的校园里，落叶铺满小路。偶尔也有人下围棋。")
    hits = index.search("本手")
    assert [h.doc_id for h in hits] == [a.id]
    assert "【本手】" in hits[0].snippet and " " not in hits[0].snippet
    assert [h.doc_id for h in index.search("围棋")][0] == a.id  # title and body match beat body only
    assert [h.doc_id for h in index.search("围棋", query_type="散文")] == [b.id]
    assert [h.doc_id for h in index.search("围棋", tag="高三")] == [a.id]
    assert index.search("，。") == [] and index.search("量子") == []


def test_typing_is_searchable_at_the_next_search_and_trash_hides(env):
    store, index = env
    p = store.create("草稿")
    store.autosave(p.id, "answer", "今天写到了海底城市。")
    assert [h.doc_id for h in index.search("海底")] == [p.id]
    store.autosave(p.id, "answer", "改成了太空城市。")
    assert index.search("海底") == [] and [h.doc_id for h in index.search("太空")] == [p.id]
    store.trash(p.id)
    assert index.search("太空") == []
