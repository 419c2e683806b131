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
