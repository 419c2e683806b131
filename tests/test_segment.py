"""jieba with the government-body lexicon; its cache stays in the project."""
from pipeline import segment
from pipeline.settings import load_params


def test_lexicon_bodies_are_single_words():
    seg = segment.make_segmenter(load_params())
    words = seg("由发展改革委会同中央农办、调宣部研究提出落实意见")
    assert {"发展改革委", "中央农办", "调宣部"} <= set(words)


def test_cache_goes_to_the_project_folder_not_tmp():
    import tempfile

    from pipeline.settings import REPO_ROOT

    tok = segment.jieba_tokenizer(load_params()["extract"]["lexicon"])
    assert tok.tmp_dir == str(segment.CACHE_DIR)
    assert segment.CACHE_DIR == REPO_ROOT / ".cache"  # not jieba's default, the system temp dir
    assert tok.tmp_dir != tempfile.gettempdir()


def test_read_lexicon_skips_comments(tmp_path):
    lex = tmp_path / "lex.txt"
    lex.write_text("# a comment\n\n调宣部\n计财部 nt\n", encoding="utf-8")
    assert segment.read_lexicon(lex) == ["调宣部", "计财部"]


def test_a_cache_others_can_write_is_never_read(tmp_path, monkeypatch):
    import marshal
    import os

    import jieba

    cache = tmp_path / "jieba.cache"
    cache.write_bytes(marshal.dumps(({"毒": 1, "国家": 10}, 11)))
    os.chmod(tmp_path, 0o777)  # anyone could have put this file here
    monkeypatch.setattr(segment, "CACHE_DIR", tmp_path)

    def fresh(self, dictionary=None):  # what jieba builds from its dictionary, in small
        if not self.initialized:
            self.FREQ, self.total, self.initialized = {"国家": 10}, 10, True

    monkeypatch.setattr(jieba.Tokenizer, "initialize", fresh)
    segment.jieba_tokenizer.cache_clear()
    try:
        tok = segment.jieba_tokenizer(load_params()["extract"]["lexicon"])
        assert "毒" not in tok.FREQ
        assert tok.cache_file != str(cache)
        os.chmod(tmp_path, 0o700)
        segment.jieba_tokenizer.cache_clear()
        tok = segment.jieba_tokenizer(load_params()["extract"]["lexicon"])
        assert "毒" in tok.FREQ  # a private cache is read
    finally:
        segment.jieba_tokenizer.cache_clear()


def _dict_tags() -> dict[str, str]:
    """jieba's tags as a dict built line by line from dict.txt: what WordTags must answer."""
    from pathlib import Path

    import jieba

    tags = {}
    with Path(jieba.__file__).with_name("dict.txt").open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                tags[parts[0]] = parts[2]
    return tags


def test_word_tags_answer_as_the_dictionary_file_does(tmp_path, monkeypatch):
    monkeypatch.setattr(segment, "CACHE_DIR", tmp_path)
    segment.word_tags.cache_clear()
    try:
        tags = segment.word_tags()
        expected = _dict_tags()
        assert tags.n_words == len(expected)
        for word, tag in list(expected.items())[::97]:  # every 97th word: 3,600 words
            assert tags.get(word) == tag and tags[word] == tag and word in tags
        for word in ("发展改革委", "不存在的词", "", "\udc80", "zzzz"):
            assert tags[word] is None and tags.get(word) is None and word not in tags
            assert tags.get(word, "x") == "x"
        assert tags.get("中") == expected["中"]
        built = list(tmp_path.glob("jieba_tags.*.tsv"))
        assert len(built) == 1  # the sorted copy is kept for the next start
        segment.word_tags.cache_clear()
        again = segment.word_tags()
        assert again._lines == tags._lines
    finally:
        segment.word_tags.cache_clear()


def test_a_broken_or_foreign_tag_file_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setattr(segment, "CACHE_DIR", tmp_path)
    segment.word_tags.cache_clear()
    try:
        segment.word_tags()
        (path,) = tmp_path.glob("jieba_tags.*.tsv")
        path.write_bytes(b"\xe4\xb8\xad\tzz\n")  # truncated: one line, a wrong tag
        path.chmod(0o666)  # and writable by others: never read
        segment.word_tags.cache_clear()
        assert segment.word_tags().get("中") == _dict_tags()["中"]
        path.chmod(0o600)
        path.write_bytes(b"\xe4\xb8\xad zz")  # no tab, no newline: not a tag file
        segment.word_tags.cache_clear()
        assert segment.word_tags().get("中") == _dict_tags()["中"]
    finally:
        segment.word_tags.cache_clear()
