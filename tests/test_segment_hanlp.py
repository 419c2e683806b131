"""The HanLP segmenter backend never downloads: without a local model it fails with ModelMissing."""
from __future__ import annotations

import importlib.util

import pytest

from pipeline import segment
from pipeline.errors import ModelMissing
from pipeline.settings import load_params

HAS_HANLP = importlib.util.find_spec("hanlp") is not None


def _params(model_dir: str) -> dict:
    params = load_params()
    params["extract"]["segmenter"] = "hanlp"
    params["extract"]["hanlp_model"] = model_dir
    return params


@pytest.mark.parametrize("model_dir", ["", "does/not/exist", "COARSE_ELECTRA_SMALL_ZH"])
def test_missing_model_dir_says_how_to_provide_one(model_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a hub-style name must not resolve to anything here
    with pytest.raises(ModelMissing) as err:
        segment.make_segmenter(_params(model_dir))
    message = str(err.value)
    assert err.value.code == "E200" and "E200" in message
    assert "extract.hanlp_model" in message and "extract.segmenter: jieba" in message


def test_hanlp_tokenizer_missing_dir(tmp_path):
    with pytest.raises(ModelMissing, match="not found"):
        segment.hanlp_tokenizer(str(tmp_path / "nowhere"))


@pytest.mark.skipif(HAS_HANLP, reason="hanlp is installed here")
def test_hanlp_not_installed_says_how_to_install(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    with pytest.raises(ModelMissing) as err:
        segment.make_segmenter(_params(str(model)))
    assert "not installed" in str(err.value) and "[hanlp]" in str(err.value)


def test_jieba_is_still_the_default():
    assert load_params()["extract"]["segmenter"] == "jieba"
