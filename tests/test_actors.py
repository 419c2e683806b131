"""The Chinese actor grammar: lexicon + modifiers + organisational heads."""
import pytest

from pipeline.actors import ActorGrammar, is_actor_text, normalize_actor, read_aliases
from pipeline.settings import load_params


@pytest.fixture(scope="module")
def grammar():
    return ActorGrammar(load_params()["extract"]["lexicon"])


def listed(grammar, text):
    actors, end = grammar.actor_list(text, 0, len(text))
    return [text[a.start:a.end] for a in actors], text[end:]


@pytest.mark.parametrize("text, actors, rest", [
    ("国家发展改革委、科技部及时委托第三方机构评估", ["国家发展改革委", "科技部"], "及时委托第三方机构评估"),
    ("各地发展改革委、科技厅(委、局)认真听取意见", ["各地发展改革委", "科技厅(委、局)"], "认真听取意见"),
    ("中国科协深化改革领导小组会议一般每月召开一次", ["中国科协深化改革领导小组"], "会议一般每月召开一次"),
    ("市政府办公室、市审改办牵头", ["市政府办公室", "市审改办"], "牵头"),
    ("每个地方每年提出3—5项改革举措建议", ["每个地方"], "每年提出3—5项改革举措建议"),
    ("改革工作办公室对改革总体情况开展督察", ["改革工作办公室"], "对改革总体情况开展督察"),
    ("国务院有关部门要加强指导", ["国务院有关部门"], "要加强指导"),
    ("市级各有关部门按职责分工负责", ["市级各有关部门"], "按职责分工负责"),
    ("由发展改革委会同中央农办研究", [], "由发展改革委会同中央农办研究"),
    ("国务院税务主管部门确定", ["国务院税务主管部门"], "确定"),
    ("各级地方人民政府要建立机构", ["各级地方人民政府"], "要建立机构"),
    ("住房城乡建设部门有关房屋信息", ["住房城乡建设部门"], "有关房屋信息"),
    ("国务院自由贸易试验区工作部际联席会议办公室要加强督促", ["国务院自由贸易试验区工作部际联席会议办公室"],
     "要加强督促"),
    ("科技部汇总各部门意见", ["科技部"], "汇总各部门意见"),
    # a noun and a verb make a name's first word (机构编制, 医疗保障); an adverb and a verb
    # may stand inside a name though not at its start
    ("机构编制部门要加强监督", ["机构编制部门"], "要加强监督"),
    ("医疗保障部门负责", ["医疗保障部门"], "负责"),
    ("中央全面依法治国委员会办公室负责督促", ["中央全面依法治国委员会办公室"], "负责督促"),
    # a range of government levels is part of the name; a field before 行政部门 may be a
    # verb or adjective used as a noun (教育 vn, 卫生 an)
    ("县级以上地方人民政府要落实属地管理责任", ["县级以上地方人民政府"], "要落实属地管理责任"),
    ("县级以上地方各级人民政府及国务院部门应当开设政务新媒体", ["县级以上地方各级人民政府", "国务院部门"],
     "应当开设政务新媒体"),
    ("省级以下税务机关负责", ["省级以下税务机关"], "负责"),
    ("国务院教育行政部门负责职业教育工作的统筹规划", ["国务院教育行政部门"], "负责职业教育工作的统筹规划"),
    # kinds of division listed before the head they share; alone before a modal
    ("省、自治区、直辖市人民政府应当加强领导", ["省、自治区、直辖市人民政府"], "应当加强领导"),
    ("各省、自治区、直辖市人民政府、国务院有关部门要按照", ["各省、自治区、直辖市人民政府", "国务院有关部门"], "要按照"),
    ("各省、自治区、直辖市要因地制宜作出决策", ["各省、自治区、直辖市"], "要因地制宜作出决策"),
    ("市、县人民政府应当", ["市、县人民政府"], "应当"),
    ("省、市、县三级要加强", [], "省、市、县三级要加强"),
    # a body and its departments act as one; a department named by what it does
    ("各级人民政府及其有关部门应当加强", ["各级人民政府及其有关部门"], "应当加强"),
    ("国务院及其发展", ["国务院"], "及其发展"),
    ("省、自治区、直辖市人民政府管理专利工作的部门负责本行政区域内的专利代理管理工作",
     ["省、自治区、直辖市人民政府管理专利工作的部门"], "负责本行政区域内的专利代理管理工作"),
    ("国务院有关规定的部门", ["国务院"], "有关规定的部门"),
    # fields of government sharing 等部门 make one actor; bodies stay one actor each
    ("财政、教育、卫生健康、医保等部门要建立协调推进机制", ["财政、教育、卫生健康、医保等部门"], "要建立协调推进机制"),
    ("发展改革委、财政部等部门要", ["发展改革委", "财政部"], "要"),
    ("加强教育、卫生等部门要", [], "加强教育、卫生等部门要"),
    ("配合单位要加强协作", ["配合单位"], "要加强协作"),
    # a department named by what it does or which one it is, right before a modal
    ("审核机构要对材料的完备性进行审核", ["审核机构"], "要对材料的完备性进行审核"),
    ("起草单位应当根据审核意见修改", ["起草单位"], "应当根据审核意见修改"),
    ("各级卫生健康部门负责指导和监督", ["各级卫生健康部门"], "负责指导和监督"),
    ("任何部门不得擅自增加", ["任何部门"], "不得擅自增加"),
    ("政府性融资担保机构要坚守主业", ["政府性融资担保机构"], "要坚守主业"),
    ("因此企业管理机关必须经常了解市场需要", [], "因此企业管理机关必须经常了解市场需要"),
    ("温家宝总理率国务院有关部门负责同志赴重庆", [], "温家宝总理率国务院有关部门负责同志赴重庆"),
    # 部 + 门 makes the departments, even when jieba's HMM glues 门 to the next word
    ("自然资源部门要根据国家和地方配建标准", ["自然资源部门"], "要根据国家和地方配建标准"),
    # local bureaus whose last character jieba leaves on its own (even after a verb)
    ("市农业农村局、市交通运输局配合。", ["市农业农村局", "市交通运输局"], "配合。"),
    ("县行政审批服务局负责受理", ["县行政审批服务局"], "负责受理"),
    ("市乡村振兴局、市投资促进局要加强协作", ["市乡村振兴局", "市投资促进局"], "要加强协作"),
    ("市营商环境局要建立台账", ["市营商环境局"], "要建立台账"),  # jieba glues 局要
    # an office of a local party committee or government
    ("市委网信办、县政府办配合", ["市委网信办", "县政府办"], "配合"),
    # names with 和 from the lexicon (local governments' departments)
    ("市自然资源和规划局、市住房和城乡建设局牵头", ["市自然资源和规划局", "市住房和城乡建设局"], "牵头"),
    ("市发展和改革委员会、市妇联负责", ["市发展和改革委员会", "市妇联"], "负责"),
])
def test_actor_lists_at_a_clause_start(grammar, text, actors, rest):
    assert listed(grammar, text) == (actors, rest)


@pytest.mark.parametrize("text", [
    "努力实现地区生产总值增长6.2%左右",   # a goal, no actor
    "创新科协开展政治引领的工作机制",       # 创新 is a verb here, not part of a name
    "科技工作者紧密团结在党中央周围",
    "深化科协系统职能体系改革",
    "进一步提高政府决策科学化水平",       # an idiom glued to 政府 by the HMM
    "查处违法违纪社会团体",                # 查处 is a verb, not a body ending in 处
    "仅是铁道部负责的工程",                # an adverb glued to 是 by the HMM
    # an adverb and a verb that jieba's dictionary lists as one noun or idiom
    "充分发挥政府投资的引导作用",
    "不断完善公立医院补偿机制",
    "全面推行部门联合“双随机、一公开”监管",
    "依法取缔社会乱办学",
    "切实加强政府自身建设",
    "以上部门要加强协作",                  # 以上 "the above", not a range of levels
    "依法查处价格违法行为",                # adverb + verb words ending like a body (处)
    "严肃查处以假充真、以次充好等违法行为",
    "配合有关部门及时打击扰乱市场秩序的犯罪活动",  # 配合 names a body only before its head
    # verbs that jieba's dictionary tags as nouns, before their object
    "压实部门责任，完善治理举措",
    "联系指挥部成员单位和省级人民政府有关部门开展应急工作",
    "代表国务院发表讲话或文章",
    "报经人民银行审核后送社会团体登记管理机关",
    "部署实施职业教育改革创新重大事项",
    "合理布局地下基础设施网络",            # 布局 ends like 局 but is not a body
    "有所发现，有所发明",
    "我国东部地区地震活动进入活跃时段",    # 东部: a direction
    # a function word glued by jieba's HMM onto what follows
    "将雄安新区蓝绿空间占比稳定在70%",
    "经向主管税务机关备案",
    "应由国务院制定行政法规",
    # the head qualifies a longer noun
    "政府性基金收支要纳入预算管理",
    "中国政府网政务新媒体要发挥龙头示范作用",
    "政府网站在向集约化平台迁移前要进行安全评估",
    # a level and a verb, not a local bureau
    "市区要加强管理",
    "市场主体要依法经营",
    "县城建设要统筹规划",
])
def test_clauses_that_do_not_open_with_an_actor(grammar, text):
    assert listed(grammar, text)[0] == []


def test_lexicon_names_are_single_tokens(grammar):
    words = [w for w, _, _ in grammar.tokens("调宣部牵头,发展改革委配合", 0, 13)]
    assert "调宣部" in words and "发展改革委" in words


def test_split_list_keeps_unknown_names_and_trims_etc(grammar):
    text = "中央宣传部、市场监管总局等和各有关省级人民政府"
    spans = grammar.split_list(text, 0, len(text))
    assert [text[s.start:s.end] for s in spans] == ["中央宣传部", "市场监管总局", "各有关省级人民政府"]
    text = "发展改革委会同农业部等部门"
    spans = grammar.split_list(text, 7, len(text))
    assert [text[s.start:s.end] for s in spans] == ["农业部"]


def test_is_actor_text(grammar):
    assert is_actor_text("区发改局", grammar.lexicon)
    assert is_actor_text("各街道", grammar.lexicon)
    assert is_actor_text("科技厅(委、局)", grammar.lexicon)
    assert not is_actor_text("部门", grammar.lexicon)      # generic head alone
    assert not is_actor_text("推进高标准市场体系建设", grammar.lexicon)


def test_normalize_actor_uses_aliases_then_folds():
    aliases = read_aliases(load_params()["extract"]["aliases"])
    import opencc

    t2s = opencc.OpenCC("t2s").convert
    assert normalize_actor("发展改革委", aliases, t2s) == "国家发展和改革委员会"
    assert normalize_actor("發展改革委", aliases, t2s) == "国家发展和改革委员会"
    assert normalize_actor("the central bank", aliases) == "People's Bank of China"
    assert normalize_actor("区发改局", aliases, t2s) == "区发改局"
    assert normalize_actor("The  Secretary of State", aliases) == "Secretary of State"


def test_bad_alias_file_names_the_line(tmp_path):
    from pipeline.errors import ParamsError

    bad = tmp_path / "aliases.tsv"
    bad.write_text("# comment\n发展改革委 国家发展和改革委员会\n", encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        read_aliases(str(bad))
    assert f"{bad}:2" in str(err.value)


def test_the_clause_gate_never_closes_a_clause_the_grammar_would_open(grammar):
    """``may_hold_name`` rules clauses out without segmenting them; on every clause of
    the real Chinese pages held, a clause it rules out is one where the full grammar
    (segmentation included) finds no actor either — and it does rule most out."""
    import re
    from pathlib import Path

    from pipeline.normalize import to_simplified

    class Ungated(ActorGrammar):
        def may_hold_name(self, text, start, limit):
            return True

    ungated = Ungated(grammar.lexicon_path)
    root = Path(__file__).resolve().parents[1]
    pages = [p for d in ("tests/data/dev", "corpus/raw", "corpus/dev") for p in sorted((root / d).iterdir())
             if p.is_file() and p.suffix in (".txt", ".html", ".htm")]
    n = closed = 0
    wrongly_closed = []
    for page in pages:
        text = to_simplified(page.read_text(encoding="utf-8", errors="replace"))
        if not re.search("[\u4e00-\u9fff]", text):
            continue
        for start in [0] + [m.end() for m in re.finditer(r"[，,：:。！？!?；;\n]\s*", text)]:
            if start >= len(text):
                continue
            n += 1
            if not grammar.may_hold_name(text, start, len(text)):
                closed += 1
                actors, _ = ungated.actor_list(text, start, len(text))
                if actors:
                    wrongly_closed.append(text[start:start + 20])
    assert n > 1000
    assert not wrongly_closed
    assert closed / n > 0.4
