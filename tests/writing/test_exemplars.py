import json

import pytest

from writer_app.analysis.metrics import Analyzer
from writer_app.errors import BadInputError
from writer_app.resources import resources_dir
from writer_app.writing.exemplars import BM25Index, Exemplar, load_jsonl

DOCS = [
    Exemplar("写一首关于秋天落叶的现代诗", "意象：落叶", query_type="诗歌"),
    Exemplar("为学校运动会写一篇开幕式演讲稿", "开场：问候", query_type="演讲稿"),
    Exemplar("写一篇关于围棋本手妙手的议论文", "论点：本手为本", query_type="议论文"),
    Exemplar("写一个发生在太空站的科幻故事", "设定：空间站", query_type="科幻故事"),
]


@pytest.fixture(scope="module")
def words():
    return Analyzer(resources_dir()).words


def test_bm25_finds_the_most_similar_prompt_by_jieba_words(words):
    index = BM25Index(DOCS, words)
    assert index.best("以围棋中的本手为题写议论文").query_type == "议论文"
    assert index.best("运动会演讲").query_type == "演讲稿"
    hits = index.search("秋天的诗", top=4)
    assert hits[0][0].query_type == "诗歌" and all(s > 0 for _, s in hits)


def test_no_shared_words_means_no_exemplar(words):
    assert BM25Index(DOCS, words).best("量子计算机") is None
    assert BM25Index([], words).best("秋天") is None


def test_jsonl_import_reads_coig_records_and_names_the_bad_line(tmp_path):
    f = tmp_path / "coig.jsonl"
    rec = {"query_type": "诗歌", "query": "写秋天", "thought": "意象", "answer": "落叶", "score": "9"}
    f.write_text(json.dumps(rec, ensure_ascii=False) + "\n\n", encoding="utf-8")
    assert load_jsonl(f) == [Exemplar("写秋天", "意象", "落叶", "诗歌")]
    f.write_text(json.dumps(rec, ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="第 2 行"):
        load_jsonl(f)
    f.write_text('{"query": "q"}\n', encoding="utf-8")
    with pytest.raises(BadInputError, match="thought"):
        load_jsonl(f)
