"""The candidate scorer: features, training from gold labels, plain-JSON storage."""
import json

import pytest

from pipeline.confidence import FEATURES, PRIORS, Scorer, featurize, label_candidates, train
from pipeline.errors import ModelInvalid


def cand(**kw):
    base = {"doc_id": "d", "actor": "各地", "role": "responsible", "duty": "高度重视,认真落实",
            "method": "zh.subject", "cue": "要", "deadline": None}
    base.update(kw)
    return base


def test_features_cover_the_declared_names():
    f = featurize(cand(), "关于深入推进全面创新改革工作的通知", "三、组织方式")
    assert set(f) == set(FEATURES)
    assert f["bias_method_subject"] == 1.0 and f["zh_modal"] == 1.0 and f["doc_directive"] == 1.0
    news = featurize(cand(cue=None), "科技部部长:优化重大科技创新组织机制")
    assert news["doc_directive"] == 0.0 and news["has_cue"] == 0.0


def test_without_a_model_the_pattern_prior_is_used():
    s = Scorer.load(None)
    assert s.version == "prior"
    assert s.score(cand(method="zh.tag"), {}) == PRIORS["zh.tag"]


def test_labels_come_from_matching_gold():
    gold = {"d": [{"doc_id": "d", "actor": "各地", "role": "responsible", "duty": "高度重视,认真落实",
                   "deadline": ""}]}
    cands = [cand(), cand(actor="有关部门", duty="完全不同的一件事情"), cand(doc_id="other")]
    assert label_candidates(cands, gold) == [1, 0, None]


def test_training_separates_and_round_trips_through_json(tmp_path):
    pos = [featurize(cand(method="zh.tag", cue="牵头"), "分工方案") for _ in range(20)]
    neg = [featurize(cand(cue=None, duty="认真学习贯彻习近平总书记重要指示,取得了显著成效"), "部长谈改革")
           for _ in range(20)]
    model = train(pos + neg, [1] * 20 + [0] * 20, c=1.0)
    assert model.score({}, pos[0]) > 0.8 > 0.2 > model.score({}, neg[0])
    path = tmp_path / "scorer.json"
    model.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"weights", "intercept", "meta"}
    again = Scorer.load(path)
    assert again.score({}, pos[0]) == pytest.approx(model.score({}, pos[0]))
    assert again.version == model.version != "prior"


def test_one_class_only_falls_back_to_priors():
    model = train([featurize(cand())] * 3, [1, 1, None])
    assert model.weights is None and "priors" in model.meta["note"]


@pytest.mark.parametrize("content, message", [
    ("not json", "not a scorer model"),
    ('{"weights": {"no_such_feature": 1.0}, "intercept": 0}', "unknown features"),
])
def test_a_broken_model_file_is_refused_with_a_hint(tmp_path, content, message):
    path = tmp_path / "scorer.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelInvalid) as err:
        Scorer.load(path)
    assert message in str(err.value) and "obligations train" in str(err.value)
