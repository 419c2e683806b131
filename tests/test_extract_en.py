"""English obligation patterns: dev pages against their gold, unit cases per pattern, negatives."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from pipeline.extract_en import actor_head, extract_en, parse_actor_list
from pipeline.schemas import Document

DEV = Path(__file__).parent / "data" / "dev"
EO_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "executive_orders"


def _join_lines(raw: str) -> str:
    """Hard-wrapped lines joined into paragraphs (a stand-in for the ingest stage)."""
    paras = re.split(r"\n\s*\n", raw)
    return "\n".join(re.sub(r"\s*\n\s*", " ", p.strip()) for p in paras if p.strip())


def _doc(text: str, doc_id: str = "t") -> Document:
    return Document(doc_id=doc_id, source=doc_id, lang="en", text=text)


def _dev(doc_id: str) -> Document:
    return _doc(_join_lines((DEV / f"{doc_id}.txt").read_text(encoding="utf-8")), doc_id)


def _rows(doc: Document) -> set[tuple[str, str, str]]:
    return {(c.actor, c.role, c.duty) for c in extract_en(doc)}


def _gold(doc_id: str) -> list[dict]:
    lines = (DEV / f"{doc_id}.gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _actor_key(s: str) -> str:
    """Actors compare without case and a leading "the" (as score.py's containment rule allows)."""
    return re.sub(r"^the\s+", "", _squash(s).lower())


# -- dev pages: every gold row is found exactly (actor, role, duty, deadline) ---------------

DEV_IDS = ["en_eo13769_sec5_7", "en_gov_cn_work_report_tasks_2019",
           "en_mofcom_main_responsibilities", "seed_most_pilot", "seed_wenzhou_functions"]


@pytest.mark.parametrize("doc_id", DEV_IDS)
def test_dev_page_offsets_slice_the_text(doc_id):
    doc = _dev(doc_id)
    cands = extract_en(doc)
    assert cands
    for c in cands:
        assert doc.text[c.duty_start:c.duty_end] == c.duty
        assert c.role in {"lead", "cooperate", "responsible"}
        assert c.method.startswith("en.")
        if c.deadline:
            assert doc.text[c.deadline_start:c.deadline_end] == c.deadline
            assert c.deadline not in c.duty


@pytest.mark.parametrize("doc_id", ["en_eo13769_sec5_7", "en_gov_cn_work_report_tasks_2019",
                                    "seed_most_pilot"])
def test_dev_page_matches_gold_exactly(doc_id):
    got = {(_actor_key(c.actor), c.role, _squash(c.duty), _squash(c.deadline or ""))
           for c in extract_en(_dev(doc_id))}
    for g in _gold(doc_id):
        key = (_actor_key(g["actor"]), g["role"], _squash(g["duty"]), _squash(g["deadline"]))
        assert key in got, f"missing gold row {g}"
    assert len(got) == len(_gold(doc_id))


@pytest.mark.parametrize("doc_id", ["en_mofcom_main_responsibilities", "seed_wenzhou_functions"])
def test_function_list_pages(doc_id):
    cands = extract_en(_dev(doc_id))
    gold = _gold(doc_id)
    assert len(cands) == len(gold)
    got = {(c.actor, _squash(c.duty)) for c in cands}
    for g in gold:
        actor = g["actor"]
        if actor.startswith("the competent departments"):
            actor = "the competent departments"  # the sentence names them by the short form
        assert (actor, _squash(g["duty"])) in got or any(
            a == actor and _squash(g["duty"]) in d for a, d in got), g


def test_eo_deadline_cut_and_conjoined_shall():
    cands = [c for c in extract_en(_dev("en_eo13769_sec5_7")) if c.actor == "The Secretary of State"]
    by_deadline = {c.deadline: c.duty for c in cands if c.deadline}
    assert by_deadline["within 200 days of the date of this order"] == "submit a second report"
    assert by_deadline["within 100 days of the date of this order"].endswith("religious-based persecution")


# -- unit cases, one per pattern ----------------------------------------------------------

def test_shall_with_consultation_inside_and_distributed_plural():
    text = ("The Secretaries of State and Homeland Security shall, in consultation with the Attorney "
            "General, consider rescinding the exercises of authority.")
    assert _rows(_doc(text)) == {
        ("The Secretary of State", "responsible", "consider rescinding the exercises of authority"),
        ("the Secretary of Homeland Security", "responsible",
         "consider rescinding the exercises of authority"),
        ("the Attorney General", "cooperate", "consider rescinding the exercises of authority"),
    }


def test_consultation_between_subject_and_modal():
    text = "The Director, in consultation with the Secretary of Labor, shall issue guidance."
    assert _rows(_doc(text)) == {("The Director", "responsible", "issue guidance"),
                                 ("the Secretary of Labor", "cooperate", "issue guidance")}


def test_working_with_between_subject_and_modal_is_cooperation_but_not_inside_a_duty():
    # "other agencies" names no one, as after "in consultation with"
    text = ("The Secretary of Commerce, working with the Council and other agencies, shall assist States "
            "in promoting heritage tourism. The Office is responsible for working with the agencies to "
            "ensure compliance.")
    assert _rows(_doc(text)) == {
        ("The Secretary of Commerce", "responsible", "assist States in promoting heritage tourism"),
        ("the Council", "cooperate", "assist States in promoting heritage tourism"),
        ("The Office", "responsible", "working with the agencies to ensure compliance"),
    }


def test_deadline_inside_after_modal_is_cut_out():
    text = ("The Attorney General shall, within 90 days of the date of this order, submit a report "
            "to the President.")
    (c,) = extract_en(_doc(text))
    assert c.duty == "submit a report to the President"
    assert c.deadline == "within 90 days of the date of this order"


def test_two_subjects_in_one_sentence():
    text = "The Secretary of Energy shall draft a plan and the Administrator shall review it."
    assert _rows(_doc(text)) == {("The Secretary of Energy", "responsible", "draft a plan"),
                                 ("the Administrator", "responsible", "review it")}


def test_lead_and_led_by():
    doc = _doc("The Ministry of Finance and State Taxation Administration will lead the job of "
               "implementing tax cuts. The policy of reducing fees will be led by the Ministry of "
               "Human Resources and Social Security and Finance Ministry.")
    assert _rows(doc) == {
        ("The Ministry of Finance", "lead", "the job of implementing tax cuts"),
        ("State Taxation Administration", "lead", "the job of implementing tax cuts"),
        ("the Ministry of Human Resources and Social Security", "lead", "The policy of reducing fees"),
        ("Finance Ministry", "lead", "The policy of reducing fees"),
    }


def test_responsibility_of_list_drops_others():
    doc = _doc("Cutting red tape is the responsibility of the National Development and Reform "
               "Commission, Ministry of Commerce, the central bank and others.")
    assert {a for a, _, _ in _rows(doc)} == {
        "the National Development and Reform Commission", "Ministry of Commerce", "the central bank"}
    assert {d for _, _, d in _rows(doc)} == {"Cutting red tape"}


def test_responsible_for_and_take_charge_with_anaphor():
    doc = _doc("Functions of Lishui Municipal Finance Bureau\n"
               "(1) To draft the budget.\n"
               "Note: The bureau is responsible for guiding audits, while the competent "
               "departments take charge of their assets management.")
    rows = _rows(doc)
    assert ("Lishui Municipal Finance Bureau", "responsible", "draft the budget") in rows
    assert ("Lishui Municipal Finance Bureau", "responsible", "guiding audits") in rows
    assert ("the competent departments", "responsible", "their assets management") in rows


def test_function_list_numbered_and_to_be_responsible_for():
    doc = _doc("Main responsibilities of the Ministry of Water Resources\n"
               "1. To be responsible for flood control.\n2. To draft water laws; to supervise dams.\n")
    assert _rows(doc) == {
        ("Ministry of Water Resources", "responsible", "flood control"),
        ("Ministry of Water Resources", "responsible", "draft water laws; to supervise dams"),
    }


def test_present_tense_generic_body():
    doc = _doc("The competent department explores new authorization. The reporter learns a lot.")
    assert _rows(doc) == {("The competent department", "responsible", "explores new authorization")}


def test_colon_list_items_stay_in_the_duty():
    doc = _doc("The Council shall support the campaign by:\n(a) identifying solutions; and\n"
               "(b) reporting results.\nSec. 3. Termination.")
    (c,) = extract_en(doc)
    assert c.duty.startswith("support the campaign by:") and c.duty.endswith("reporting results")


def test_actor_list_splitting():
    assert [a.text for a in parse_actor_list("Ministry of Human Resources and Social Security")] == [
        "Ministry of Human Resources and Social Security"]
    assert [a.text for a in parse_actor_list("the heads of executive departments and agencies")] == [
        "the heads of executive departments and agencies"]
    assert [a.text for a in parse_actor_list("the Secretary of Health and Human Services")] == [
        "the Secretary of Health and Human Services"]
    assert [a.text for a in parse_actor_list(
        "the Secretary of State, the Attorney General, and the Director of the Office of "
        "Management and Budget")] == [
        "the Secretary of State", "the Attorney General",
        "the Director of the Office of Management and Budget"]
    assert parse_actor_list("To that end, the Secretary") is None
    assert actor_head("the Attorney General") == "attorney general"
    assert actor_head("the policy of the United States") is None


@pytest.mark.parametrize("text, actors", [
    # names with "and" inside, cut before their head (EO 12979, EO 13158, EO 13559, EO 13419)
    ("the Administrator of the National Aeronautics and Space Administration",
     ["the Administrator of the National Aeronautics and Space Administration"]),
    ("The Department of Commerce's National Oceanic and Atmospheric Administration",
     ["The Department of Commerce's National Oceanic and Atmospheric Administration"]),
    ("The Director of the Office of Faith-Based and Neighborhood Partnerships",
     ["The Director of the Office of Faith-Based and Neighborhood Partnerships"]),
    ("the Director of the Office of Science and Technology Policy",
     ["the Director of the Office of Science and Technology Policy"]),
    # EO 13045: two names, the second with its own "and" inside
    ("The Office of Science and Technology Policy and the National Science and Technology Council",
     ["The Office of Science and Technology Policy", "the National Science and Technology Council"]),
    # two bodies, however alike
    ("The Ministry of Finance and State Taxation Administration",
     ["The Ministry of Finance", "State Taxation Administration"]),
    ("The Secretary of Labor and the Secretary of Education", ["The Secretary of Labor", "the Secretary of Education"]),
    ("The Secretaries of Commerce and the Interior", ["The Secretaries of Commerce and the Interior"]),
    ("the Secretary of Labor and OMB", ["the Secretary of Labor", "OMB"]),
    # "Policy" and "Law" capitalised belong to names
    ("the Assistant to the President for Domestic Policy", ["the Assistant to the President for Domestic Policy"]),
])
def test_names_with_and_inside(text, actors):
    assert [a.text for a in parse_actor_list(text)] == actors


def test_policy_in_lower_case_is_still_no_name():
    assert parse_actor_list("It is the policy of the United States") is None
    assert actor_head("the policy of the United States") is None


def test_a_heading_line_ends_before_the_sentence_under_it():
    text = ("Responsibilities of Member Units\n"
            "The National Development and Reform Commission is responsible for coordinating energy policy.\n"
            "The Ministry of Finance shall provide funding support and\nsupervise the use of funds.\n")
    got = [(c.actor, c.duty) for c in extract_en(_doc(text))]
    assert got == [("The National Development and Reform Commission", "coordinating energy policy"),
                   ("The Ministry of Finance", "provide funding support and\nsupervise the use of funds")]


def test_role_tags_of_translated_plans():
    text = ("1. Simplify customs clearance procedures for retail imports. (The General Administration of "
            "Customs will take the lead, with the Ministry of Commerce and the State Administration of "
            "Taxation participating.)\n"
            "2. Establish a statistical monitoring system by the end of 2022. (Led by the Ministry of Commerce, "
            "with participation of other relevant departments according to their respective responsibilities)\n"
            "3. Strengthen the supervision of platforms. (Responsible: local people's governments at all levels; "
            "continuous progress)\n"
            "4. The order takes effect on signing (the \"Effective Date\").\n")
    got = [(c.actor, c.role, c.duty, c.deadline) for c in extract_en(_doc(text)) if c.method == "en.tag"]
    task1 = "Simplify customs clearance procedures for retail imports"
    task2 = "Establish a statistical monitoring system by the end of 2022"
    assert got == [
        ("The General Administration of Customs", "lead", task1, None),
        ("the Ministry of Commerce", "cooperate", task1, None),
        ("the State Administration of Taxation", "cooperate", task1, None),
        ("the Ministry of Commerce", "lead", task2, "by the end of 2022"),
        ("other relevant departments", "cooperate", task2, "by the end of 2022"),
        ("local people's governments at all levels", "responsible", "Strengthen the supervision of platforms",
         "continuous progress")]


# -- negatives ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "This order shall be implemented consistent with applicable law.",
    "Nothing in this order shall be construed to impair the authority of an agency.",
    "It is the policy of the United States to protect its citizens.",
    "The term \"agency\" shall mean an executive department.",
    "The Secretary of State shall not be construed to have any duty.",
    "The Secretary of Defense shall not issue new permits.",
    "We will no longer review the establishment of research institutions.",
    "The State Council released a document on April 9.",
    "The Council shall consist of the following members.",
    "This order shall take effect on January 1, 2020.",
])
def test_negatives(text):
    assert extract_en(_doc(text)) == []


# -- real executive orders (skipped without ../shared) ---------------------------------

def _eo_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8", errors="replace")
    m = re.search(r"<pre>(.*?)</pre>", raw, re.S)
    body = html.unescape(re.sub(r"<[^>]+>", "", m.group(1) if m else raw))
    return _join_lines(re.sub(r"\[\[Page \d+\]\]", "", body))


def test_executive_orders_sample():
    if not EO_DIR.is_dir():
        pytest.skip("shared corpora absent")
    files = sorted(EO_DIR.glob("*.htm"))[::40]
    n_rows = 0
    for path in files:
        doc = _doc(_eo_text(path), path.stem)
        for c in extract_en(doc):
            n_rows += 1
            assert doc.text[c.duty_start:c.duty_end] == c.duty
            assert c.actor.split()[0].lower() not in {"it", "this", "nothing", "we", "such"}
            assert not re.match(r"(?:not|be)\b", c.duty)
    assert n_rows > 5 * len(files) // 2


@pytest.mark.parametrize("text, actor, deadline", [
    ("Within 180 days of the date of this order, the Secretary of Agriculture, in coordination with "
     "the other members of the Task Force, shall submit a report to the President.",
     "the Secretary of Agriculture", "Within 180 days of the date of this order"),
    ("Within 90 days of the date of this order, the Water Subcabinet shall identify all such groups.",
     "the Water Subcabinet", "Within 90 days of the date of this order"),
    ("To the extent necessary, the Advisory Board also shall coordinate exchanges of data.",
     "the Advisory Board", None),
])
def test_fronted_deadlines_asides_and_adverbs_before_the_modal(text, actor, deadline):
    rows = extract_en(Document(doc_id="x", source="x", lang="en", text=text))
    assert [(c.actor, c.deadline) for c in rows] == [(actor, deadline)]


def test_a_relative_clause_on_the_subject():
    text = ("Any agency that has not adopted the Standards at the time of this order shall adopt the "
            "Standards no later than 90 days from the date of this order.")
    rows = extract_en(Document(doc_id="x", source="x", lang="en", text=text))
    assert [(c.actor, c.duty) for c in rows] == [("Any agency", "adopt the Standards")]
    assert rows[0].deadline == "no later than 90 days from the date of this order"


def test_a_body_created_by_one_duty_and_given_the_next():
    text = ("The Secretary shall appoint an Executive Director of the Council, who shall serve as a "
            "liaison to the Council.")
    rows = extract_en(Document(doc_id="x", source="x", lang="en", text=text))
    assert [(c.actor, c.duty) for c in rows] == [
        ("The Secretary", "appoint an Executive Director of the Council"),
        ("an Executive Director of the Council", "serve as a liaison to the Council")]


def test_a_cue_inside_a_list_item_ends_with_its_item():
    # EO 13353: the members of a board, two of them with a duty of their own
    text = ("Sec. 4. Membership and Operation. The Board shall consist exclusively of the following:\n\n"
            "(a) the Deputy Attorney General, who shall serve as Chair;\n\n"
            "(b) the Under Secretary for Border and Transportation Security, Department of Homeland "
            "Security, who shall serve as Vice Chair;\n\n"
            "(c) the Assistant Attorney General (Civil Rights Division);\n\n"
            "(d) the Privacy Officer, Department of Homeland Security.\n")
    duties = {c.duty for c in extract_en(_doc(text))}
    assert duties == {"serve as Chair", "serve as Vice Chair"}


def test_names_cut_before_their_object_and_verb_phrases_are_not_actors():
    assert parse_actor_list("the Committee on Foreign Investment in the United States with respect to "
                            "transactions reviewed by") is None
    assert parse_actor_list("the Secretary of the Interior and") is None
    assert parse_actor_list("designating a senior acquisition official") is None
    assert parse_actor_list("advising agencies on how to implement strategies") is None
    assert [a.text for a in parse_actor_list("participating agencies")] == ["participating agencies"]


def test_an_officials_office_stays_in_the_name():
    assert [a.text for a in parse_actor_list(
        "The Deputy Director for Management, Office of Management and Budget")] == [
        "The Deputy Director for Management, Office of Management and Budget"]
    assert [a.text for a in parse_actor_list(
        "the Director, Office of Personnel Management, and the Secretary of Labor")] == [
        "the Director, Office of Personnel Management", "the Secretary of Labor"]
    assert [a.text for a in parse_actor_list("the Secretary of State, the Department of Justice")] == [
        "the Secretary of State", "the Department of Justice"]


def test_partners_before_a_long_list_of_items():
    # EO 13545: the partners' comma is followed by more than a dozen commas in the items
    items = "".join(f"({x}) expand a, b, c, and d;\n" for x in "abcd")
    text = ("Through this program, the Secretary shall, in consultation with the Secretaries of Agriculture "
            "and Education, seek to:\n\n" + items)
    got = {(c.actor, c.role) for c in extract_en(_doc(text))}
    assert got == {("the Secretary", "responsible"), ("the Secretary of Agriculture", "cooperate"),
                   ("the Secretary of Education", "cooperate")}
