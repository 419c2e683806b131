"""Chinese assignment patterns, on sentences from real pages and on whole real pages."""
from pathlib import Path

import opencc
import pytest

from pipeline.actors import ActorGrammar
from pipeline.extract_zh import ChineseExtractor
from pipeline.ingest import ingest_file
from pipeline.provisions import split_provisions
from pipeline.schemas import Document
from pipeline.settings import load_params

ROOT = Path(__file__).resolve().parents[1]
T2S = opencc.OpenCC("t2s").convert


@pytest.fixture(scope="module")
def extractor():
    return ChineseExtractor(ActorGrammar(load_params()["extract"]["lexicon"]))


def rows(extractor, text, title=""):
    doc = Document(doc_id="t", source="t", lang="zh", text=text, title=title,
                   provisions=split_provisions("t", text, "zh"))
    return [(c.actor, c.role, c.duty, c.deadline or "") for c in extractor(doc, T2S(text))]


def test_closing_tag_governs_the_whole_numbered_task(extractor):
    text = ("二、重点任务\n"
            "1.强化政治引领。具体包括:1探索有效渠道;2创新传播方式;(3)实施科学精神弘扬行动。(调宣部牵头)\n"
            "2.加强顶层设计。具体包括:1研究制定规划纲要。(计财部、组人部牵头,学会部配合)\n")
    got = rows(extractor, text)
    assert got[0] == ("调宣部", "lead",
                      "强化政治引领。具体包括:1探索有效渠道;2创新传播方式;(3)实施科学精神弘扬行动", "")
    assert [(a, r) for a, r, _, _ in got[1:]] == [("计财部", "lead"), ("组人部", "lead"),
                                                  ("学会部", "cooperate")]
    assert got[1][2] == "加强顶层设计。具体包括:1研究制定规划纲要"


def test_the_body_listed_first_leads_where_the_document_says_so(extractor):
    text = ("（一）加大稳岗支持力度。对不裁员的参保企业，可返还失业保险费。（人力资源社会保障部、财政部负责。"
            "列第一位者为牵头单位，下同）\n"
            "（二）支持创业载体建设。对创业孵化基地给予奖补。（财政部、人力资源社会保障部、人民银行负责）\n"
            "（三）扩大就业见习补贴范围。（人力资源社会保障部负责）\n")
    got = [(a, r) for a, r, _, _ in rows(extractor, text)]
    assert got == [("人力资源社会保障部", "lead"), ("财政部", "responsible"),
                   ("财政部", "lead"), ("人力资源社会保障部", "responsible"), ("人民银行", "responsible"),
                   ("人力资源社会保障部", "responsible")]  # one body alone: no one to lead
    without_note = text.replace("。列第一位者为牵头单位，下同", "")
    assert {r for _, r, _, _ in rows(extractor, without_note)} == {"responsible"}


def test_responsibility_field_inside_a_tag_and_notes_after_it(extractor):
    text = ("(一)加强市场体系建设。推进高标准市场体系建设。〔责任单位:省发展改革委、省市场监管局按职责分工负责。"
            "具体任务均涉及相关市(州)人民政府,不再做分工,下同。〕\n")
    got = rows(extractor, text)
    assert [(a, r) for a, r, _, _ in got] == [("省发展改革委", "responsible"), ("省市场监管局", "responsible")]
    assert got[0][2] == "加强市场体系建设。推进高标准市场体系建设"


def test_deadline_in_a_tag(extractor):
    got = rows(extractor, "3.完善考核办法。(市政府办公室、市审改办牵头,市级各有关部门按职责分工负责,2022年10月底前完成)\n")
    assert [(a, r, d) for a, r, _, d in got] == [
        ("市政府办公室", "lead", "2022年10月底前"), ("市审改办", "lead", "2022年10月底前"),
        ("市级各有关部门", "responsible", "2022年10月底前")]


def test_role_lines_after_a_task(extractor):
    text = "1.努力实现地区生产总值增长6.2%左右。\n牵头单位:区发改局\n责任单位:立山经济开发区,全区经济运行各专班\n"
    assert rows(extractor, text) == [
        ("区发改局", "lead", "努力实现地区生产总值增长6.2%左右", ""),
        ("立山经济开发区", "responsible", "努力实现地区生产总值增长6.2%左右", ""),
        ("全区经济运行各专班", "responsible", "努力实现地区生产总值增长6.2%左右", "")]


def test_you_huitong_gives_lead_and_cooperators_and_the_sentence(extractor):
    text = "(二)關於“嚴守耕地保護紅線”的問題,由國土資源部會同農業部等部門負責落實。\n"
    got = rows(extractor, text)
    assert [(a, r) for a, r, _, _ in got] == [("國土資源部", "lead"), ("農業部", "cooperate")]
    assert got[0][2] == "關於“嚴守耕地保護紅線”的問題,由國土資源部會同農業部等部門負責落實"


def test_huitong_without_you_gives_lead_and_cooperators(extractor):
    got = rows(extractor, "国务院人力资源社会保障行政部门会同有关部门，适时组织清理调整对技术技能人才的歧视政策。\n")
    assert got == [(a, r, "适时组织清理调整对技术技能人才的歧视政策", "")
                   for a, r in [("国务院人力资源社会保障行政部门", "lead"), ("有关部门", "cooperate")]]
    got = rows(extractor, "6.2.1 财政部会同国务院有关部门（单位），对应急动用中央储备粮发生的费用进行审核。\n")
    assert [(a, r) for a, r, _, _ in got] == [("财政部", "lead"), ("国务院有关部门（单位）", "cooperate")]
    assert got[0][2] == "对应急动用中央储备粮发生的费用进行审核"
    got = rows(extractor, "三、加强督促检查。国办将会同有关部门继续探索政府网站绩效评估问题。\n")
    assert [(a, r, d) for a, r, d, _ in got] == [("国办", "lead", "继续探索政府网站绩效评估问题"),
                                                ("有关部门", "cooperate", "继续探索政府网站绩效评估问题")]
    assert rows(extractor, "国家经委已经会同有关部门提出了今后三年的规划。\n") == []  # narration


def test_clauses_that_are_only_a_role_word_share_the_duty(extractor):
    got = rows(extractor, "由市发展改革委牵头，各区县政府配合，于2023年底前完成。\n")
    assert got == [("市发展改革委", "lead", "于2023年底前完成", "2023年底前"),
                   ("各区县政府", "cooperate", "于2023年底前完成", "2023年底前")]
    got = rows(extractor, "四、制定完善相关政策措施。将由信息产业部牵头，抓紧研究制定相关政策措施。\n")
    assert got == [("信息产业部", "lead", "抓紧研究制定相关政策措施", "")]
    # at the end of its paragraph, the run closes the task before it, as a bracketed tag does
    got = rows(extractor, "3.加强冷链物流建设。完善冷链设施网络。由市商务局牵头，市农业农村局、市交通运输局配合。\n")
    assert got == [(a, r, "加强冷链物流建设。完善冷链设施网络", "") for a, r in [
        ("市商务局", "lead"), ("市农业农村局", "cooperate"), ("市交通运输局", "cooperate")]]


def test_a_time_limit_line_among_role_lines(extractor):
    text = ("3.优化营商环境。全面推行证明事项告知承诺制。\n牵头单位：市行政审批服务局\n"
            "配合单位：市司法局、各区县政府\n完成时限：持续推进\n"
            "4.建设物流园区。\n完成时限：2024年6月底前\n责任单位：市商务局\n")
    assert [(a, r, d) for a, r, _, d in rows(extractor, text)] == [
        ("市行政审批服务局", "lead", "持续推进"), ("市司法局", "cooperate", "持续推进"),
        ("各区县政府", "cooperate", "持续推进"), ("市商务局", "responsible", "2024年6月底前")]


def test_subject_with_modal_and_a_recurring_deadline(extractor):
    text = "各地要采取适当形式深入调查研究,并在每年4月底之前向国家发展改革委报送建议书。\n"
    assert rows(extractor, text) == [
        ("各地", "responsible", "采取适当形式深入调查研究,并在每年4月底之前向国家发展改革委报送建议书", "每年4月底之前")]


def test_cooperation_and_overall_responsibility(extractor):
    got = rows(extractor, "后期若涉及国家层面事权,国家发展改革委、科技部协助有关地方与相关部门协调对接。\n")
    assert [(a, r) for a, r, _, _ in got] == [("国家发展改革委", "cooperate"), ("科技部", "cooperate")]
    got = rows(extractor, "各地发展改革委对所揭榜任务负总体责任,研究提出具体改革方案。\n")
    assert got[0][:2] == ("各地发展改革委", "lead")


def test_duty_stops_where_the_next_assignment_starts(extractor):
    text = ("国家发展改革委、科技部及时公布清单,组织各地揭榜,原则上每个地方年度揭榜改革任务不少于3项。"
            "国家发展改革委、科技部汇总揭榜结果。\n")
    got = rows(extractor, text)
    assert ("国家发展改革委", "responsible", "及时公布清单,组织各地揭榜", "") in got
    assert ("每个地方", "responsible", "年度揭榜改革任务不少于3项", "") in got
    assert ("科技部", "responsible", "汇总揭榜结果", "") in got


@pytest.mark.parametrize("text", [
    "立山经济开发区,各街道办事处,各区直部门,各有关单位:\n",           # addressees
    "国家发展改革委 科技部关于深入推进全面创新改革工作的通知\n",        # a title
    "中央书记处强调科协要以更大力度推进改革。\n",                      # reported speech
    "国土资源部迅速组织调查,成立了专家组。\n",                        # narration of what was done
    "中央科技委成立以来,全面加强对科技工作的顶层设计。\n",
    "科技部部长:优化重大科技创新组织机制\n",
    "中国科协办公厅\n2018年4月2日\n",                                   # signature
])
def test_not_obligations(extractor, text):
    assert rows(extractor, text) == []


def test_frequency_is_not_a_deadline(extractor):
    got = rows(extractor, "中国科协深化改革领导小组会议一般每月召开一次,根据改革重点任务确定议题。\n")
    assert got == [("中国科协深化改革领导小组", "responsible", "会议一般每月召开一次,根据改革重点任务确定议题", "")]


def test_functions_list_assigns_each_item_to_the_body(extractor):
    text = "市科技局主要职责:\n(一)负责拟订全市科技发展规划。\n(二)统筹推进科技体制改革。\n"
    assert rows(extractor, text) == [("市科技局", "responsible", "拟订全市科技发展规划", ""),
                                     ("市科技局", "responsible", "统筹推进科技体制改革", "")]


def test_items_naming_their_own_body_are_not_functions_of_the_heading(extractor):
    # the members' duties of a national emergency plan (State Council, 粮食应急预案)
    text = ("1.3 国家粮食应急工作指挥部成员单位职责\n"
            "（1）国家发展改革委负责加强粮食市场价格的监督检查，依法查处价格违法行为。\n"
            "（2）公安部负责维护粮食供应场所的治安秩序，配合有关部门及时打击扰乱市场秩序的犯罪活动。\n"
            "（3）财政部负责安排、审核实施本预案所需经费，专款专用。\n")
    assert rows(extractor, text) == [
        ("国家发展改革委", "responsible", "加强粮食市场价格的监督检查，依法查处价格违法行为", ""),
        ("公安部", "responsible", "维护粮食供应场所的治安秩序，配合有关部门及时打击扰乱市场秩序的犯罪活动", ""),
        ("财政部", "responsible", "安排、审核实施本预案所需经费，专款专用", "")]


def test_a_numbered_heading_of_functions_keeps_its_number_out_of_the_actor(extractor):
    text = "1.1 国家粮食应急工作指挥部职责\n（1）掌握粮食市场形势。\n（2）完成国务院交办的其他事项。\n"
    assert rows(extractor, text) == [("国家粮食应急工作指挥部", "responsible", "掌握粮食市场形势", ""),
                                     ("国家粮食应急工作指挥部", "responsible", "完成国务院交办的其他事项", "")]


def test_a_circumstance_between_the_bodies_and_their_duty(extractor):
    text = ("国务院教育行政部门、人力资源社会保障行政部门和其他有关部门在职责范围内，"
            "分别负责有关的职业教育工作。\n")
    assert rows(extractor, text) == [(a, "responsible", "有关的职业教育工作", "") for a in
                                     ("国务院教育行政部门", "人力资源社会保障行政部门", "其他有关部门")]
    narration = "发展改革委在安排全国农产品深加工项目和资金工作中，一直对西部地区予以适当倾斜。\n"
    assert rows(extractor, narration) == []


def test_a_time_clause_is_not_a_duty_unless_its_subject_must_act(extractor):
    got = rows(extractor, "4.2.2 国务院批准启动本预案后，国家粮食应急工作指挥部立即进入应急工作状态。\n")
    assert [a for a, *_ in got] == ["国家粮食应急工作指挥部"]
    assert rows(extractor, "省级粮食应急工作指挥部接到国家粮食应急工作指挥部通知后，要立即组织落实应急措施。\n") == [
        ("省级粮食应急工作指挥部", "responsible", "接到国家粮食应急工作指挥部通知后，要立即组织落实应急措施", "")]


def test_a_list_of_officials_is_not_a_list_of_duties(extractor):
    text = "组长：孙春兰 国务院副总理\n成员：孙尧 教育部副部长\n余蔚平 财政部副部长\n张德霖 自然资源部党组成员\n"
    assert rows(extractor, text) == []


@pytest.mark.parametrize("text", [
    "水利部也表示将积极配合发展改革委等有关部门做好该项目的立项工作。\n",   # reported speech
    "林业局也正在研究天保工程的后续政策。\n",
    "发展改革委正按程序抓紧组织研究。\n",
    "地方政府反映：自2003年7月起，村民经常感觉到地震动。\n",
    "发展改革委意见：目前国产船用柴油机所用曲轴全部依赖进口。\n",
    # a report forwarded with the State Council's approval
    "国家地震局《关于1997年地震趋势和加强防震减灾工作意见的报告》已经国务院同意，现转发给你们。\n",
    "印度政府由于内政、外交上的需要，根本没有解决问题的诚意。\n",
])
def test_narration_after_a_body_is_not_a_duty(extractor, text):
    assert rows(extractor, text) == []


def test_an_enumerator_before_the_bodies(extractor):
    got = rows(extractor, "三是各级经济综合部门和专业主管部门要大力支持企业发展联合。\n")
    assert [a for a, *_ in got] == ["各级经济综合部门", "专业主管部门"]


def test_the_whole_modal_leaves_the_duty(extractor):
    assert rows(extractor, "教育部门应该根据上述教育方针，对现行的教育制度进行改革。\n")[0][2].startswith("根据")
    assert rows(extractor, "省级人民政府可以根据本地区实际情况，研究制订应急处置预案。\n")[0][2].startswith("根据")


def test_closing_tags_with_a_partner_or_a_note(extractor):
    got = rows(extractor, "（二十）对职业教育改革成效明显的省份予以倾斜支持。（教育部会同有关部门负责）\n")
    assert [(a, r) for a, r, *_ in got] == [("教育部", "lead"), ("有关部门", "cooperate")]
    got = rows(extractor, "（五）扩大就业见习补贴范围。（人力资源社会保障部等有关部门和单位负责）\n")
    assert [a for a, *_ in got] == ["人力资源社会保障部"]
    got = rows(extractor, "（三）深化改革。（国务院自由贸易试验区工作部际联席会议办公室牵头）\n")
    assert [a for a, *_ in got] == ["国务院自由贸易试验区工作部际联席会议办公室"]
    # a bracket whose role word is not its last: a remark, not an assignment
    assert rows(extractor, "扩大内地西藏初中班规模（其中1995年广东省、福建省共落实了165名扩招任务）。\n") == []


def test_appointments_and_descriptions_after_you(extractor):
    assert rows(extractor, "联席会议召集人由国务院分管教育工作的领导同志担任。\n") == []
    assert rows(extractor, "由交通部施工的，共有十一条线路。\n") == []


def test_a_bureau_of_a_ministry_and_a_verb_between_two_bodies(extractor):
    assert [a for a, *_ in rows(extractor, "由教育部教材局承担办公室工作。\n")] == ["教育部教材局"]
    assert rows(extractor, "由单位主管部门报项目管理部门备案。\n") == [
        ("单位主管部门", "responsible", "报项目管理部门备案", "")]


def test_traditional_page_keeps_its_script(extractor):
    doc = ingest_file(ROOT / "corpus/dev/zh_gov2014_agri_big5.txt", "zh_gov2014_agri_big5", load_params())
    got = extractor(doc, T2S(doc.text))
    assert {c.actor for c in got} >= {"發展改革委", "中央農辦", "糧食局", "國土資源部"}
    for c in got:
        assert doc.text[c.actor_start:c.actor_end] == c.actor
        assert doc.text[c.duty_start:c.duty_end] == c.duty


def test_a_division_of_work_table_as_ingest_renders_it(extractor):
    text = ("某市2023年重点工作任务分工表\n"
            "序号 工作任务 牵头单位 配合单位 完成时限\n"
            "1 推进城市更新行动，实施老旧小区改造100个。 市住建局 市发改委、市财政局 2023年12月底前\n"
            "2 加强生态环境保护 完成大气污染防治年度任务。 市生态环境局 各县（市、区）人民政府 长期坚持\n"
            "附件：分工表说明\n")
    assert rows(extractor, text) == [
        ("市住建局", "lead", "推进城市更新行动，实施老旧小区改造100个", "2023年12月底前"),
        ("市发改委", "cooperate", "推进城市更新行动，实施老旧小区改造100个", "2023年12月底前"),
        ("市财政局", "cooperate", "推进城市更新行动，实施老旧小区改造100个", "2023年12月底前"),
        ("市生态环境局", "lead", "加强生态环境保护 完成大气污染防治年度任务", "长期坚持"),
        ("各县（市、区）人民政府", "cooperate", "加强生态环境保护 完成大气污染防治年度任务", "长期坚持")]


@pytest.mark.parametrize("text, lead, partners", [
    ("（三）完善监测体系。由省卫生健康委牵头，会同省财政厅、省医保局等部门，建立监测制度。",
     "省卫生健康委", ["省财政厅", "省医保局"]),
    ("市发展改革委牵头，会同市财政局等部门研究制定配套政策。", "市发展改革委", ["市财政局"]),
    ("省卫生健康委负责，会同省财政厅建立监测制度。", "省卫生健康委", ["省财政厅"]),
    ("（二）加快项目建设（市发展改革委牵头，会同市财政局负责）。", "市发展改革委", ["市财政局"]),
])
def test_partners_named_after_the_role_word(extractor, text, lead, partners):
    got = rows(extractor, text)
    assert [(a, r) for a, r, _, _ in got] == [(lead, "lead")] + [(p, "cooperate") for p in partners]
    assert all(d.endswith(("监测制度", "配套政策", "项目建设")) for _, _, d, _ in got)


@pytest.mark.parametrize("text", [
    "（一）推进项目建设。建成政务云平台。责任单位：市发展改革委（牵头），市财政局；完成时限：2023年底前。",
    "（一）推进项目建设。建成政务云平台。\n责任单位：市发展改革委（牵头）、市财政局\n完成时限：2023年底前",
    "（一）推进项目建设。建成政务云平台（2023年底前完成）。（市发展改革委（牵头）、市财政局负责）",
])
def test_a_role_marked_after_one_body_of_a_field(extractor, text):
    assert [(a, r, d) for a, r, _, d in rows(extractor, text)] == [
        ("市发展改革委", "lead", "2023年底前"), ("市财政局", "responsible", "2023年底前")]


def test_fields_set_apart_by_spaces(extractor):
    text = "（二）强化要素保障。牵头单位：市自然资源和规划局 配合单位：市财政局、市住房城乡建设局 完成时限：2023年6月"
    assert rows(extractor, text) == [
        ("市自然资源和规划局", "lead", "强化要素保障", "2023年6月"),
        ("市财政局", "cooperate", "强化要素保障", "2023年6月"),
        ("市住房城乡建设局", "cooperate", "强化要素保障", "2023年6月")]


@pytest.mark.parametrize("task", ["自2019年1月1日起，扩大补贴范围", "定期开展督查", "2019年1月1日至2020年12月31日期间开展培训"])
def test_a_start_a_period_or_a_frequency_in_a_task_is_no_time_limit(extractor, task):
    assert [d for _, _, _, d in rows(extractor, f"（一）{task}。（人力资源社会保障部牵头）")] == [""]


@pytest.mark.parametrize("text, actor", [
    ("各县区党委和政府要落实属地管理责任。", "各县区党委和政府"),
    ("各省、自治区、直辖市党委和人民政府要抓好落实。", "各省、自治区、直辖市党委和人民政府"),
    ("（五）开展文明城市创建活动（市文明办牵头，各县区党委和政府负责）。", "各县区党委和政府"),
])
def test_committee_and_government_of_one_place_are_one_party(extractor, text, actor):
    assert rows(extractor, text)[-1][0] == actor
    assert [a for a, _, _, _ in rows(extractor, "市委和市政府要加强统筹。")] == ["市委", "市政府"]


def test_each_member_and_its_duties_after_a_colon(extractor):
    text = ("各成员单位职责：\n市公安局：负责维护现场秩序，依法打击违法犯罪行为。\n"
            "市交通运输局：配合做好应急运输保障工作。\n联系人：张三，电话：12345678。\n")
    assert [(a, r, d) for a, r, d, _ in rows(extractor, text)] == [
        ("市公安局", "responsible", "维护现场秩序，依法打击违法犯罪行为"),
        ("市交通运输局", "cooperate", "配合做好应急运输保障工作")]


def test_a_table_rendered_with_bars(extractor):
    # Two task columns (the row's own measure is the duty), role words inside a cell, a
    # role marked after one actor, a category cell merged down from the row above, a
    # section row spanning the table, an extra column of no known kind.
    text = ("序号 | 工作任务 | 具体措施 | 责任单位 | 完成时限 | 备注\n"
            "一、优化营商环境\n"
            "1 | 提升政务服务效能 | 推进“证照分离”改革全覆盖，压减涉企审批事项 | 区市场监管局牵头，区行政审批局、区司法局配合 | 2023年12月底前 | \n"
            "2 | 实施大气污染防治攻坚行动，完成年度目标 | 区生态环境分局（牵头）、各街道 | 全年 | 重点\n"
            "3 | 加强生态保护 | 开展河道综合整治 | 区水务局 | | \n")
    assert rows(extractor, text) == [
        ("区市场监管局", "lead", "推进“证照分离”改革全覆盖，压减涉企审批事项", "2023年12月底前"),
        ("区行政审批局", "cooperate", "推进“证照分离”改革全覆盖，压减涉企审批事项", "2023年12月底前"),
        ("区司法局", "cooperate", "推进“证照分离”改革全覆盖，压减涉企审批事项", "2023年12月底前"),
        ("区生态环境分局", "lead", "实施大气污染防治攻坚行动，完成年度目标", "全年"),
        ("各街道", "responsible", "实施大气污染防治攻坚行动，完成年度目标", "全年"),
        ("区水务局", "responsible", "开展河道综合整治", "")]


def test_a_table_of_member_units_and_their_duties(extractor):
    text = ("序号 | 成员单位 | 主要职责\n"
            "1 | 市发展改革委 | 负责统筹协调项目建设，建立调度机制\n"
            "2 | 市财政局 | 负责落实资金保障\n\n"
            "单位 | 数量 | 金额\n市财政局 | 3 | 100\n")  # a table of figures assigns nothing
    assert rows(extractor, text) == [("市发展改革委", "responsible", "统筹协调项目建设，建立调度机制", ""),
                                     ("市财政局", "responsible", "落实资金保障", "")]


def test_a_table_with_tabs_keeps_spaces_inside_its_cells(extractor):
    text = ("序号\t重点任务\t牵头单位\t配合单位\t完成时限\n"
            "1\t加强生态环境保护 完成大气污染防治年度任务\t市生态环境局\t各县（市、区）人民政府\t长期坚持\n")
    assert rows(extractor, text) == [
        ("市生态环境局", "lead", "加强生态环境保护 完成大气污染防治年度任务", "长期坚持"),
        ("各县（市、区）人民政府", "cooperate", "加强生态环境保护 完成大气污染防治年度任务", "长期坚持")]


@pytest.mark.parametrize("text", [
    "报有关部门核准或备案后执行。\n",           # 报 is the verb here
    "国家发展改革委主要负责人要亲自部署。\n",   # a person under the body, not the body
])
def test_subjects_that_are_not_bodies(extractor, text):
    assert [a for a, _, _, _ in rows(extractor, text)] != ["报有关部门"]
    assert all(not d.startswith("人") for _, _, d, _ in rows(extractor, text))
