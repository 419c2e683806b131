"""Transformers span model (pipeline.hf): a tiny BERT built here, fine-tuned on real gold pages."""
from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from pipeline import hf, ner  # noqa: E402
from pipeline.errors import ModelMissing  # noqa: E402
from pipeline.gold import read_gold_documents  # noqa: E402
from pipeline.settings import load_params  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("zh_sichuan2022_logistics", "zh_lishan2023_division", "en_eo13769_sec5_7")


@pytest.fixture(scope="module")
def examples():
    gold = read_gold_documents(ROOT / "annotations" / "gold")
    docs = ner.load_documents([ROOT / "corpus" / "dev"], load_params(), set(DOCS))
    return docs, ner.make_examples(docs, {d: gold[d] for d in DOCS})


@pytest.fixture(scope="module")
def base_dir(examples, tmp_path_factory):
    """A randomly initialised 1-layer BERT whose vocabulary is the training texts' characters."""
    _, egs = examples
    base = tmp_path_factory.mktemp("base")
    chars = sorted({c for eg in egs for c in eg.reference.text.lower() if not c.isspace()})
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    # "##x" pieces let Latin words split into characters instead of becoming [UNK]
    (base / "vocab.txt").write_text("\n".join(special + chars + ["##" + c for c in chars]) + "\n",
                                    encoding="utf-8")
    tok = transformers.BertTokenizerFast.from_pretrained(str(base))
    tok.save_pretrained(base)
    config = transformers.BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=64)
    torch.manual_seed(0)
    transformers.BertForTokenClassification(config).save_pretrained(base)
    return base


def test_bio_tags_decode_back_to_the_spans(base_dir, examples):
    tok = transformers.AutoTokenizer.from_pretrained(base_dir, local_files_only=True)
    _, egs = examples
    checked = 0
    for eg in egs:
        spans = [(e.label_, e.start_char, e.end_char) for e in eg.reference.ents]
        enc = tok(eg.reference.text, return_offsets_mapping=True)
        offsets = [tuple(o) for o in enc["offset_mapping"]]
        tags = hf._tags_for(offsets, spans)
        assert hf.decode(offsets, tags) == spans
        checked += bool(spans)
    assert checked >= 5


def test_fine_tune_saves_reloads_and_proposes(base_dir, examples, tmp_path):
    docs, egs = examples
    out = tmp_path / "hf"
    metrics = hf.fine_tune(egs, base_dir, out, epochs=2, seed=0, holdout=0.34)
    assert len(metrics["losses"]) == 2 and metrics["n_train"] > 0
    assert len(metrics["held_back_docs"]) == 1 and metrics["held_back"]["ALL"]["n_gold"] > 0
    assert (out / "model.safetensors").is_file() and (out / "config.json").is_file()
    assert not list(out.glob("*.bin")) and not list(out.glob("*.pkl"))
    proposer = hf.HFSpanProposer(out)
    for doc in docs.values():
        for label, s, e in proposer.propose(doc.text):
            assert label in ner.LABELS and 0 <= s < e <= len(doc.text)
    # the same weights give the same spans after a reload
    text = docs["zh_lishan2023_division"].text
    assert hf.HFSpanProposer(out).propose(text) == proposer.propose(text)


def test_fine_tune_accepts_text_span_pairs(base_dir, tmp_path):
    text = "区发改局负责,2023年底前完成。"
    metrics = hf.fine_tune([(text, [("ACTOR", 0, 4), ("DEADLINE", 8, 15)])], base_dir,
                           tmp_path / "pairs", epochs=1, seed=0)
    assert metrics["held_back"] is None and metrics["n_windows"] == 1


def test_hub_names_and_missing_dirs_are_refused(tmp_path):
    with pytest.raises(ModelMissing) as err:
        hf.fine_tune([("文本", [])], "bert-base-chinese", tmp_path / "out", epochs=1)
    assert "save_pretrained" in str(err.value) and "train.transformers_base" in str(err.value)
    assert not (tmp_path / "out").exists()
    with pytest.raises(ModelMissing):
        hf.HFSpanProposer(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelMissing, match="config.json"):
        hf.fine_tune([("文本", [])], empty, tmp_path / "out", epochs=1)


def test_train_stage_builds_the_transformers_model_when_a_base_is_set(base_dir, tmp_path):
    import shutil

    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    for name in ("zh_sichuan2022_logistics", "en_eo13769_sec5_7"):
        shutil.copy(ROOT / "annotations" / "gold" / f"{name}.gold.jsonl", gold_dir)
    params = load_params()
    params["train"] = {**params["train"], "ner_iterations": 1, "transformers_base": str(base_dir),
                       "transformers_epochs": 1}
    metrics = ner.train_from_gold(gold_dir, [ROOT / "corpus" / "dev"], tmp_path / "models", params)
    assert metrics["transformers"]["losses"]
    params["extract"] = {**params["extract"], "ner": "transformers", "ner_model": str(tmp_path / "models")}
    proposer = ner.load_proposer(params, "en")
    assert isinstance(proposer, hf.HFSpanProposer)
