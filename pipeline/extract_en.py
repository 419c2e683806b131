"""English assignment patterns -> candidate obligations.

Works on ``documents.text`` directly: every actor and duty is a slice of the
text with its offsets (one exception: a plural title distributed over a
coordinated complement, ``The Secretaries of State and Homeland Security`` ->
``The Secretary of State`` and ``the Secretary of Homeland Security``, whose
offsets cover the whole phrase).

Patterns (method names in brackets):

1. function lists: a heading ``(Main) Functions/Responsibilities/Duties of X``
   followed by items ``(1) To … (2) To …`` or ``1. To …``: X responsible for
   each item, the leading ``To`` (``To be responsible for``) dropped; an item
   that is only a heading (``Government functions transformation:``) gives its
   sub-items ``(i) To …`` instead [en.functions];
2. ``Y is the responsibility of X, Y and Z`` [en.responsibility_of] and
   ``Y will be led by X and Z`` [en.led_by]: the duty is the subject;
3. a clause whose subject is an actor list followed by a cue:
   ``shall / must / will / should / is to`` [en.shall, en.must, …],
   ``will lead / takes the lead in`` [en.lead],
   ``is responsible for / takes charge of / is in charge of`` [en.responsible_for];
   ``X shall A and shall B`` gives one row per verb phrase;
4. ``The competent department explores …`` — a generic body (``the`` + lower
   case modifiers + singular head) with a present-tense verb [en.present];
5. role tags closing a task in translated plans [en.tag]: ``(X will take the
   lead, with Y participating)``, ``(Led by X, with participation of Y)``,
   ``(Responsible: X; continuous progress)``; the duty is the task before the
   tag on its line.

``in consultation / coordination / cooperation with Y`` (or ``working with Y``)
in the subject or at either edge of the duty makes Y ``cooperate`` on the
same duty.  A deadline at either edge of the duty (``shall, within 90 days of
…, submit``) is attached and cut out of the duty; one in the middle is
attached and left in place.

Not obligations: pronoun subjects (``It``, ``We``, ``This order``) — a ``We
will …`` inside a function list is already part of the item that holds it —,
``shall not`` / ``no longer`` prohibitions, passives (``shall be
implemented``), and definitional verbs (``shall mean``, ``shall include``).
``the Bureau`` (``the`` + one singular head) refers to the last actor named
with that head (the function-list body first).
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from .deadlines import find_deadlines
from .errors import ModelMissing
from .schemas import Candidate, Document, Provision
from .settings import MODELS_DIR

HEADS_FILE = MODELS_DIR / "en_actor_heads.txt"

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9’'&\-.]*[A-Za-z0-9]|[A-Za-z0-9]")
_DETERMINERS = frozenset("the each every all any both".split())
# Words that never occur in a body's name: they mark a clause, not a noun phrase.
_STOP = frozenset(
    "it its this that these those such nothing no none there we our us they their them he she his "
    "her you your i me my which who whom whose what whether if when where while whereas because "
    "is are was were be been being am shall will must should may might can could would has have "
    "had do does did not also only however therefore thus hereby herein thereof order term terms "
    "policy purpose section sec subsection paragraph act law laws regulation regulations through via "
    "upon after before during except including between among against acting pursuant".split()
)
_ACRONYM = re.compile(r"^[A-Z][A-Z&]{1,7}s?$")
_PREPOSITIONS = frozenset("of to for on in at under within with from by over".split())
_ABBREV = frozenset(
    "sec secs no nos vol art arts para paras mr mrs ms dr st jr sr inc co corp ltd etc seq cf fig "
    "pp p stat pub l ch subch gen gov rep sen approx viz v vs jan feb mar apr jun jul aug sep sept "
    "oct nov dec".split()
)
# Stop words that a name may hold capitalised: the Office of Science and Technology Policy,
# the Federal Law Enforcement Training Centers.
_STOP_BUT_IN_NAMES = frozenset(("policy", "law"))
_MAX_CORE_WORDS = 8
_MAX_COMPLEMENT_WORDS = 14

# Sentence ends: . ! ? before white space and a capital / bracket / digit; pipes; blank lines;
# a line break after : ; or before an item label.
_SENT_END = re.compile(
    r"[.!?][\"”’)\]]*(?=\s+[\"“(\[A-Z0-9]|\s*$)|\|+|\n\s*\n"
    r"|(?<=[:;])[ \t]*\n|\n(?=[ \t]*(?:\([0-9a-z]{1,4}\)|\d{1,2}\.|Sec\.|Section\s)\s)"
    r"|(?P<heading>(?<=[A-Za-z])\n(?=[A-Z]))"  # after a heading: only where the line is one (_HEADING_LINE)
)
# "Responsibilities of Member Units": a short line in title case, no final punctuation
_HEADING_LINE = re.compile(r"(?:^|\n)(?:[A-Z][\w'’-]*|of|and|for|the|on|to|in)(?: (?:[A-Z][\w'’-]*|of|and|for|the|on|to|in)){0,11}$")
_ABBREV_BEFORE = re.compile(r"(?:^|[\s(])([A-Za-z]{1,6}|(?:[A-Za-z]\.)+[A-Za-z])\.?$")
# Where a subject can start inside a sentence.
# an item's label: (a), (iv), (12), 3.
_ITEM_LABEL = r"(?:\((?:[a-z]{1,4}|\d{1,3})\)|\d{1,2}\.)"
_CLAUSE_START = re.compile(
    r"[;:]\s*|\((?:[a-z]{1,4}|\d{1,3})\)\s+(?=[A-Z])|\n\s*" + _ITEM_LABEL + r"\s+|"
    r"\b(?:that|which|who|whereby|while|whereas|unless|until|because|if|when|where|so|but|then)\s+",
)
_LIST_SEP = re.compile(r"\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or|as\s+well\s+as)\s+")
_LABEL_AT_START = re.compile(r"\s*(?:\((?:[a-z]{1,4}|\d{1,3})\)\s*|\d{1,2}\.\s+|Sec\.\s*\d+\.\s*)+")

_MODALS = r"(?:shall|must|will|should|is\s+to|are\s+to)"
_CUE = re.compile(
    r"(?P<resp_of>\b(?:is|are|will\s+be|shall\s+be|remains?)\s+the\s+(?:main\s+|primary\s+|joint\s+)?"
    r"(?:responsibility|responsibilities|duty|task)\s+of\s+)"
    r"|(?P<led_by>\b(?:is|are|will|shall|should|must|to)\s+be\s+(?:jointly\s+)?led\s+by\s+)"
    r"|(?P<resp_for>\b(?:(?:is|are|shall\s+be|will\s+be|should\s+be|must\s+be|remains?)\s+"
    r"(?:(?:primarily|mainly|jointly|chiefly)\s+)?(?:responsible|accountable)\s+for"
    r"|(?:takes?|shall\s+take|will\s+take)\s+charge\s+of|(?:is|are)\s+in\s+charge\s+of)\s+)"
    r"|(?P<lead>\b(?:(?:shall|will|must|should|is\s+to|are\s+to)\s+(?:(?:jointly|also)\s+)?"
    r"(?:lead|spearhead|take\s+the\s+lead\s+(?:in|on))|takes?\s+the\s+lead\s+(?:in|on))\s+)"
    r"|(?P<modal>\b" + _MODALS + r"\b)",
)
_NEGATIVE = re.compile(r"^\s*(?:not|no\s+longer|never|neither|nor)\b", re.I)
# Verbs after a modal that state a definition or effect, not a duty.
_NON_DUTY = re.compile(
    r"^\s*(?:be\b|mean|means|include|includes|apply|applies|have|has|become|take\s+effect|remain|"
    r"continue\s+to\s+(?:be|apply)|constitute|consist|supersede|govern|prevail|terminate|expire|"
    r"affect|impair|create|confer|refer|extend|contain|cover|exist)\b",
    re.I,
)
_RELATIVE = re.compile(r"\s+(?:that|which|who|whose)\s+")
_VERB_BEFORE_OBJECT = re.compile(r"\s*[a-z]+\s+(?=(?:a|an|the)\s)")
_SUBJECT_ADVERB = re.compile(r"\s+(?:also|further|jointly|each|both|hereby|immediately)\s*$", re.I)
_ADVERB = re.compile(r"^(?:also|further|hereafter|thereafter|jointly)\s+", re.I)
# Asides that may sit between a modal and its verb and are not part of the duty.
_ASIDE = re.compile(
    r"^\s*(?:as\b|to\s+the\s+extent|consistent\s+with|in\s+accordance\s+with|in\s+a\s+manner|"
    r"subject\s+to|where\b|when\b|if\b|unless\b|after\b|before\b|upon\b|through\b|acting\s+through|"
    r"pursuant\s+to|under\b|in\s+(?:addition|particular|so\s+doing|that\s+capacity)|with\s+respect\s+to|"
    r"at\s+(?:a\s+minimum|least)|on\s+behalf\s+of|for\s+(?:example|purposes\s+of))",
    re.I,
)
_CONJOINED = re.compile(r"(?:,\s*|\s+)(?:and|or|but|then)(?:\s+(?:also|then))?\s*$")
_COOP = re.compile(
    r"\b(?:in\s+(?:close\s+)?(?:consultation|coordination|cooperation|collaboration|conjunction|"
    r"partnership)\s+with|jointly\s+with|together\s+with|working\s+(?:closely\s+)?with|"
    r"with\s+the\s+(?:assistance|support|participation|cooperation)\s+of)\s+",
    re.I,
)
_PRESENT = re.compile(
    r"(?P<np>[Tt]he\s+(?:[a-z][a-z\-]*\s+){1,3}?)(?P<verb>[a-z]+(?<![su]s)(?<!ss)s)\b(?=\s+[a-z\"“])"
)
_NOT_PRESENT_VERBS = frozenset("is was has does goes its this thus".split())
_FUNC_HEADING = re.compile(
    r"(?im)^[ \t|]*(?:the\s+)?(?:(?:main|major|primary|principal|key|basic)\s+)?"
    r"(?:functions|responsibilities|duties)(?:\s+and\s+(?:functions|responsibilities|duties|powers))?"
    r"\s+of\s+(?:the\s+)?(?P<actor>[^\n|:.]{3,120}?)[ \t]*(?=[|:.\n]|$)"
)
_ITEM = re.compile(
    r"(?:(?<=\s)|^)\((?P<p>\d{1,2}|[ivxlc]{1,6})\)\s+(?=[A-Z])|(?m:^)[ \t]*(?P<n>\d{1,2})\.\s+(?=[A-Z])"
)
_PARTNERS_REACH = 320  # characters
# a verb's -ing form with its object ("designating a senior official", "advising agencies on how
# to …"), not a participle naming a kind of body ("participating agencies", "contracting officers")
_GERUND_PHRASE = re.compile(r"[a-z]+ing\s+(?:(?:a|an|the|each|any|all|its|their|such)\s|.*\s(?:to|on\s+how)\s)")
# an official's office, set after the title without a determiner: an affiliation, not a second actor
_AFFILIATION = re.compile(r",\s*(?:Office|Department|Bureau|Agency|Administration|Directorate|Division|"
                          r"Executive\s+Office)\s+(?:of|for|on)\s+(?:the\s+)?[A-Z][\w'’-]*"
                          r"(?:\s+(?:and|of|for|on|the|[A-Z][\w'’-]*))*(?=\s*,|\s*$)")
_PERSON_HEADS = frozenset("director secretary administrator chair chairman chairperson deputy officer counsel "
                          "adviser advisor assistant commissioner attorney general".split())
# words a name cannot end with
_DANGLING = frozenset("by of to for with in on at from into under and or the a an".split())
# a colon that opens a list of items, and the line break before the next item
_LIST_OPEN = re.compile(r":[ \t]*\n(?=\s*" + _ITEM_LABEL + r"\s)")
_NEXT_ITEM = re.compile(r"\s*\n(?=\s*" + _ITEM_LABEL + r"\s+[A-Za-z])")
_LIST_ITEM_START = re.compile(r"\s*" + _ITEM_LABEL + r"\s+[a-z]")
_ROMAN = re.compile(r"^[ivxlc]+$")
_TO = re.compile(r"^To\s+(?:be\s+(?:responsible|in\s+charge)\s+(?:for|of)\s+)?")
_DUTY_TRIM = " \t\n.,;:|\\"
_LEAD_TRIM = re.compile(r"^[\s,;:]+")
_TRAIL_CONJ = re.compile(r"(?:[\s,;]+(?:and|or|while|whereas|but)?)+$")
_LIST_OPENING = re.compile(r"""^(?:[`'"“‘]+\s*)?(?:(?:and|or|both|also)\s+)?""", re.I)
_TRAILING_PAREN = re.compile(r"\s*\([^()]{1,40}\)\s*$")
_OTHERS = re.compile(r"^(?:(?:all|the)\s+)?others?\b", re.I)

@dataclass(frozen=True)
class ActorSpan:
    """An actor as found: its text (a slice of the document, or a distributed title) and offsets."""

    text: str
    start: int
    end: int
    head: str  # the head noun, lower case, singular


@dataclass
class _Cue:
    kind: str
    start: int
    end: int
    text: str


def _plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "sh", "ch", "x")):
        return word + "es"
    return word + "s"


@functools.lru_cache(maxsize=4)
def load_heads(path: str = str(HEADS_FILE)) -> dict[tuple[str, ...], str]:
    """Head nouns of actor phrases: lower-case word tuples (singular and plural) -> singular head.

    Args:
        path: a word list, one head a line (``models/en_actor_heads.txt``); ``#`` starts a comment.
    """
    p = Path(path)
    if not p.is_file():
        raise ModelMissing(f"English actor head list not found: {p}",
                           hint="restore models/en_actor_heads.txt from the repository", path=str(p))
    heads: dict[tuple[str, ...], str] = {}
    for line in p.read_text(encoding="utf-8").splitlines():
        name = line.split("#", 1)[0].strip().lower()
        if not name:
            continue
        singular_only = name.endswith("!")
        name = name.rstrip("!")
        words = tuple(name.split())
        heads[words] = name
        if singular_only:
            continue
        if words[0] in {"attorney", "inspector", "solicitor", "surgeon", "comptroller", "postmaster"}:
            heads[(words[0] + "s",) + words[1:]] = name  # Attorneys General
        heads[words[:-1] + (_plural(words[-1]),)] = name
    return heads


def _head_of(words: list[str], heads: dict[tuple[str, ...], str]) -> str | None:
    """The head matched by the last one or two of ``words`` (lower case), or None."""
    for n in (2, 1):
        if len(words) >= n:
            key = tuple(w.lower().rstrip("’'s") if w.endswith(("’s", "'s")) else w.lower()
                        for w in words[-n:])
            if key in heads:
                return heads[key]
    return None


def _np_parts(text: str) -> tuple[list[str], list[str], list[str]] | None:
    """(determiner, core, complement) words of a noun phrase, or None if it cannot be one."""
    text = re.sub(r"\s*\([^()]{1,40}\)\s*$", "", text)  # a trailing (Abbreviation)
    words = _WORD.findall(text)
    if not words or len(words) != len(text.split()) or "," in text:
        return None  # quotes, brackets or stray punctuation inside: not a name
    det: list[str] = []
    if words[0].lower() in _DETERMINERS:
        det, words = words[:1], words[1:]
    if not words:
        return None
    cut = next((i for i, w in enumerate(words) if w.lower() in _PREPOSITIONS
                and not (w == "Under" and words[i + 1:i + 2] == ["Secretary"])), len(words))  # the Under Secretary
    return det, words[:cut], words[cut:]


def actor_head(text: str, heads: dict[tuple[str, ...], str] | None = None) -> str | None:
    """The head noun if ``text`` reads as one body or official (``the Secretary of State``), else None.

    Args:
        text: a candidate noun phrase, no list separators.
        heads: the head list (``load_heads()`` when omitted).
    """
    heads = heads if heads is not None else load_heads()
    parts = _np_parts(text)
    if parts is None:
        return None
    _det, core, comp = parts
    if not core or len(core) > _MAX_CORE_WORDS or len(comp) > _MAX_COMPLEMENT_WORDS:
        return None
    if any(w.lower() in _DETERMINERS for w in core):
        return None  # "Through the Working Group": a determiner can only open the phrase
    if any(_stopped(w) for w in core) or any(_stopped(w) for w in comp):
        return None
    if any(w[0].isdigit() for w in core + comp):
        return None
    if len(core) == 1 and not comp and _ACRONYM.match(core[0]):
        return "acronym"  # OPM, the PCJC: short forms that a document has defined for a body
    return _head_of(core, heads)


def _stopped(word: str) -> bool:
    """A word no name holds; "Policy" and "Law" capitalised do (Domestic Policy Council)."""
    low = word.lower()
    return low in _STOP and not (word[:1].isupper() and low in _STOP_BUT_IN_NAMES)


def _is_bare_head(text: str, heads: dict[tuple[str, ...], str]) -> bool:
    words = text.split()
    return len(words) == 1 and words[0].islower() and _head_of(words, heads) is not None


def _distribute(text: str, start: int, end: int, head: str) -> list[ActorSpan]:
    """``The Secretaries of State and Homeland Security`` -> one title per proper-name complement."""
    parts = _np_parts(text)
    if parts is None:
        return [ActorSpan(text, start, end, head)]
    det, core, comp = parts
    if (len(core) != 1 or core[0].lower() == head or not comp or comp[0].lower() != "of"
            or not _LIST_SEP.search(" ".join(comp[1:]))):
        return [ActorSpan(text, start, end, head)]
    names = [n for n in _LIST_SEP.split(" ".join(comp[1:])) if n]
    if not all(n[0].isupper() for n in names):
        return [ActorSpan(text, start, end, head)]
    title = " ".join(w.capitalize() for w in head.split())
    out = []
    for i, name in enumerate(names):
        d = (det[0] if i == 0 else det[0].lower()) + " " if det else ""
        out.append(ActorSpan(f"{d}{title} of {name}", start, end, head))
    return out


def _mask_affiliations(body: str, heads: dict[tuple[str, ...], str]) -> str:
    """``body`` with an official's office after the title (``The Deputy Director for
    Management, Office of Management and Budget``) blanked out, offsets kept: the office
    says whose official it is, it is not a second actor."""
    for m in reversed(list(_AFFILIATION.finditer(body))):
        title_start = body.rfind(",", 0, m.start()) + 1
        if actor_head(body[title_start:m.start()], heads) in _PERSON_HEADS:
            body = body[:m.start()] + " " * (m.end() - m.start()) + body[m.end():]
    return body


def parse_actor_list(text: str, offset: int = 0,
                     heads: dict[tuple[str, ...], str] | None = None) -> list[ActorSpan] | None:
    """Split a coordinated subject into actors, or None if any part is not an actor.

    ``Ministry of Human Resources and Social Security`` stays one actor (the
    part after ``and`` has no head noun), ``The Ministry of Finance and State
    Taxation Administration`` gives two, ``and others`` is dropped.

    Args:
        text: the subject or list text.
        offset: where ``text`` starts in the document.
        heads: the head list (``load_heads()`` when omitted).
    """
    heads = heads if heads is not None else load_heads()
    lead = len(text) - len(text.lstrip())
    stripped = _LIST_OPENING.sub("", text.strip())
    lead += len(text.strip()) - len(stripped)
    body = stripped.rstrip(" ,.;:'\"”’")
    if not body:
        return None
    base = offset + lead
    written, body = body, _mask_affiliations(body, heads)
    # atoms: (start, end, separator before it)
    atoms: list[tuple[int, int, str]] = []
    pos, sep = 0, ""
    for m in _LIST_SEP.finditer(body):
        atoms.append((pos, m.start(), sep))
        pos, sep = m.end(), ("," if "," in m.group() else "and")
    atoms.append((pos, len(body), sep))
    merged: list[list[int | str]] = []  # [start, end, first separator]
    pending: int | None = None
    for k, (a_start, a_end, a_sep) in enumerate(atoms):
        piece = body[a_start:a_end]
        if not piece:
            return None
        if _OTHERS.match(piece) and a_end == len(body):
            break
        head = actor_head(piece, heads)
        if pending is not None:
            merged.append([pending, a_end, ""])
            pending = None if head is not None else pending
            if head is None:
                merged.pop()
            continue
        if head is None or _is_bare_head(piece, heads):
            prev = merged[-1] if merged else None
            prev_text = body[prev[0]:prev[1]] if prev else ""
            prev_parts = _np_parts(prev_text) if prev else None
            joins_back = prev is not None and a_sep == "and" and _name_runs_on(prev_text, piece, heads) or \
                prev is not None and prev_parts is not None and (
                _is_bare_head(piece, heads)  # "each department, agency, or office"
                # "the National Science" opens a name that "and Technology Council" completes
                or (a_sep == "and" and (head is None or prev_parts[2])
                    and not (head is None and _completed_by_next(piece, atoms, k, body, heads)))
                or (prev_parts[1] and prev_parts[1][-1].lower().endswith("s") and piece[:1].isupper()
                    and prev_parts[2]))
            if joins_back:
                prev[1] = a_end
            elif head is None:
                if a_end == len(body) or body[a_end:a_end + 1] == ",":
                    return None  # a headless part that no "and" joins to a name
                pending = a_start
            else:
                merged.append([a_start, a_end, a_sep])
            continue
        if a_sep == "and" and merged and _name_runs_on(body[int(merged[-1][0]):int(merged[-1][1])], piece, heads):
            merged[-1][1] = a_end  # "the National Aeronautics" + "and" + "Space Administration"
            continue
        merged.append([a_start, a_end, a_sep])
    if pending is not None or not merged:
        return None
    out: list[ActorSpan] = []
    for m_start, m_end, _ in merged:
        piece = body[int(m_start):int(m_end)].rstrip()
        m_end = int(m_start) + len(piece)
        head = actor_head(piece, heads)
        if head is None or piece.rsplit(None, 1)[-1].lower() in _DANGLING or _GERUND_PHRASE.match(piece):
            return None  # "the Committee … reviewed by": cut before its object; "advising agencies …": a verb
        paren = _TRAILING_PAREN.search(piece)
        if paren:  # "The Director of the OMB (``Director'')": the name without its short form
            piece = piece[:paren.start()]
            m_end = int(m_start) + len(piece)
        if written[int(m_end):int(m_end) + 1] == "," and body[int(m_end)] == " ":
            # the official's office, blanked for parsing, stays in the name as written
            blank = body[int(m_end):]
            piece = written[int(m_start):int(m_end) + len(blank) - len(blank.lstrip())].rstrip(" ,")
            m_end = int(m_start) + len(piece)
        out.extend(_distribute(piece, base + int(m_start), base + int(m_end), head))
    return out


_NAME_LINKS = frozenset("and for on the".split())
# "… National Oceanic", "… Faith-Based": a name's modifier, its noun still to come
_ADJECTIVE_END = re.compile(r"(?:ic|al|ive|ous|-[A-Za-z]+ed)$")
_OF_NAME = re.compile(r"\bof (the )?((?:[A-Z][\w.&'-]*\s?)+)$")


def _completed_by_next(piece: str, atoms: list[tuple[int, int, str]], k: int, body: str,
                       heads: dict[tuple[str, ...], str]) -> bool:
    """Whether a headless ``piece`` that opens with a determiner ("the National Science")
    is the start of a name that the next "and" part completes ("Technology Council")."""
    if piece.split(None, 1)[0].lower() not in _DETERMINERS or k + 1 >= len(atoms):
        return False
    n_start, n_end, n_sep = atoms[k + 1]
    return n_sep == "and" and _name_runs_on("of " + piece, body[n_start:n_end], heads)


def _name_runs_on(prev: str, piece: str, heads: dict[tuple[str, ...], str]) -> bool:
    """Whether ``piece`` after "and" continues the name that ``prev`` ends in, cut off
    before its head: "… of the National Aeronautics" and "Space Administration",
    "… of the Office of Science" and "Technology Policy"."""
    m = _OF_NAME.search(prev)
    if m is None or actor_head(m.group(2), heads) is not None:
        return False  # "… of the Treasury" is a whole name
    if actor_head(piece, heads) is not None and not (
            m.group(1) and len(m.group(2).split()) >= 2 or _ADJECTIVE_END.search(m.group(2).rstrip())):
        return False  # "The Ministry of Finance" and "State Taxation Administration": two names
    words = piece.split()
    if not words or " of " in piece or not all(w[:1].isupper() or w in _NAME_LINKS for w in words):
        return False
    first = words[0]
    return not first.isupper() and first.lower() not in _DETERMINERS \
        and actor_head(first, heads) is None and not _is_bare_head(first, heads)


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (abbreviations such as ``Sec.``, ``U.S.C.`` do not end one)."""
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        if m.lastgroup == "heading" and not _HEADING_LINE.search(text, max(0, m.start() - 160), m.start()):
            continue  # a line broken inside a sentence
        if m.group()[:1] == ".":
            before = _ABBREV_BEFORE.search(text, max(0, m.start() - 12), m.start())
            if before:
                token = before.group(1)
                if token.lower() in _ABBREV or len(token) == 1 or "." in token:
                    continue
        end = m.end()
        if text[start:end].strip():
            spans.append(_strip_span(text, start, end, " \t\n"))
        start = end
    if text[start:].strip():
        spans.append(_strip_span(text, start, len(text), " \t\n"))
    return spans


def _strip_span(text: str, start: int, end: int, chars: str = _DUTY_TRIM) -> tuple[int, int]:
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    return start, end


# A bracketed role tag after a task, and its parts (split at ; and at ", with")
_EN_TAG = re.compile(r"\((?P<body>(?:The |the |Led |led |Responsible|Lead|Leading)[^()\n]{6,400}?)\)")
_TAG_SEGMENT = re.compile(r"[^;；]+?(?=\s*(?:[;；]|,\s*(?=with\b)|$))")
_TAG_ROLES = [
    (re.compile(r"\s*(?P<actors>.+?)\s+(?P<cue>(?:will |shall |are to |is to )?take[s]? the lead)"
                r"(?:\s*,?\s*with\s+(?P<partners>.+?)\s+(?:participating|cooperating|assisting))?[\s.]*$"), "lead"),
    (re.compile(r"\s*(?P<cue>(?:[Tt]o be )?[Ll]ed by)\s+(?P<actors>.+?)[\s.]*$"), "lead"),
    (re.compile(r"\s*,?\s*(?P<cue>with (?:the )?(?:participation|cooperation|support) of)\s+(?P<partners>.+?)[\s.]*$"),
     "cooperate"),
    (re.compile(r"\s*,?\s*with\s+(?P<partners>.+?)\s+(?P<cue>participating|cooperating|assisting)[\s.]*$"),
     "cooperate"),
    (re.compile(r"\s*(?P<cue>(?:[Ll]ead(?:ing)?|[Rr]esponsible|[Cc]ooperating|[Pp]articipating)"
                r"(?: (?:units?|departments?|agencies|bodies))?\s*:)\s*(?P<actors>.+?)[\s.]*$"), "field"),
]
_RESPECTIVE = re.compile(r"\s+(?:according to|in accordance with) (?:their )?(?:respective )?"
                         r"(?:responsibilities|duties|functions|division of (?:labor|work))\s*$")
_ONGOING_EN = re.compile(r"(?i:continuous(?:ly)? (?:progress|advance|implementation)|ongoing|long-term|"
                         r"to be (?:continuously )?(?:promoted|advanced)|continuing)")


def _deadlines(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """Deadline spans inside ``text[start:end]`` (``deadlines.find_deadlines``), absolute offsets."""
    return [(d.text, start + d.start, start + d.end) for d in find_deadlines(text[start:end], "en")]


class _DocExtractor:
    """Per-document state: the text, the head list, actors named so far (for ``the Bureau``)."""

    def __init__(self, doc: Document, heads: dict[tuple[str, ...], str]):
        self.doc = doc
        self.text = doc.text
        self.heads = heads
        self.out: list[Candidate] = []
        self.named: dict[str, ActorSpan] = {}  # head -> last full actor with that head
        self.body: ActorSpan | None = None
        provs = sorted(doc.provisions, key=lambda p: (p.start, -p.end))
        self._prov = provs
        self._prov_starts = [p.start for p in provs]

    # -- helpers ---------------------------------------------------------------

    def provision_of(self, pos: int) -> str | None:
        """The innermost provision that holds ``pos`` (None when the document has none)."""
        i = bisect.bisect_right(self._prov_starts, pos)
        best: Provision | None = None
        for p in reversed(self._prov[max(0, i - 50):i]):  # a bounded look-back, not a scan
            if p.start <= pos < p.end and (best is None or p.level > best.level):
                best = p
        return best.provision_id if best else None

    def resolve(self, actor: ActorSpan) -> ActorSpan:
        """``the Bureau`` -> the last actor named with the head ``bureau``; others unchanged."""
        words = actor.text.split()
        if len(words) == 2 and words[0].lower() == "the" and words[1].lower() == actor.head:
            if self.body is not None and self.body.head == actor.head:
                return self.body
            return self.named.get(actor.head, actor)
        self.named[actor.head] = actor
        return actor

    def add(self, actor: ActorSpan, role: str, duty: tuple[int, int], method: str,
            cue: _Cue | None, deadline: tuple[str, int, int] | None,
            scope: tuple[int, int]) -> None:
        d_start, d_end = _strip_span(self.text, *duty)
        if d_end - d_start < 3:
            return
        self.out.append(Candidate(
            doc_id=self.doc.doc_id, provision_id=self.provision_of(d_start), lang="en",
            actor=actor.text, actor_start=actor.start, actor_end=actor.end, role=role,
            duty=self.text[d_start:d_end], duty_start=d_start, duty_end=d_end, method=method,
            cue=cue.text if cue else None, cue_start=cue.start if cue else None,
            cue_end=cue.end if cue else None,
            deadline=deadline[0] if deadline else None,
            deadline_start=deadline[1] if deadline else None,
            deadline_end=deadline[2] if deadline else None,
            scope_start=scope[0], scope_end=scope[1]))

    def trim_duty(self, start: int, end: int) -> tuple[int, int, tuple[str, int, int] | None,
                                                        list[tuple[ActorSpan, _Cue]]]:
        """Cut leading/trailing deadlines, cooperation phrases and asides off a duty span."""
        t = self.text
        coops: list[tuple[ActorSpan, _Cue]] = []
        deadline = None
        orig = start
        start, end = _strip_span(t, start, end)
        for _ in range(4):  # leading ", within 90 days of …," / ", in consultation with Y," / ", as appropriate,"
            if "," in t[orig:start]:
                close = t.find(",", start + 1, end)
                if close < 0:
                    break
                aside = (start, close)
                coop, list_end = self.cooperators(start, end)
                found = _deadlines(t, *aside)
                if coop:
                    coops += coop
                    close = list_end
                elif found and not t[aside[0]:found[0][1]].strip(" ,"):
                    deadline = deadline or found[0]
                elif not _ASIDE.match(t, aside[0]):
                    break
                orig = start = close
                start, end = _strip_span(t, start, end)
            else:
                break
        m = _COOP.search(t, start, end)
        if m and not _COOP.search(t, m.end(), end):
            tail_start = m.start()
            coop, list_end = self.cooperators(tail_start, end)
            if coop and list_end == end and t[start:tail_start].rstrip().endswith(","):
                coops += coop
                end = t.rindex(",", start, tail_start)
        for d_text, d_start, d_end in _deadlines(t, start, end):
            if deadline is None:
                deadline = (d_text, d_start, d_end)
            if not t[d_end:end].strip(_DUTY_TRIM):
                end = d_start
            elif not t[start:d_start].strip(_DUTY_TRIM):
                start = d_end
            break
        start, end = _strip_span(t, start, end)
        return start, end, deadline, coops

    def cooperators(self, start: int, end: int) -> tuple[list[tuple[ActorSpan, _Cue]], int]:
        """Actors of an ``in consultation with X, Y and Z`` phrase opening ``text[start:end]``.

        Returns the actors (empty if there is no such phrase) and where their list ends: the
        farthest comma (or ``end``) up to which the list still parses, so that a long list of
        partners is taken whole.
        """
        t = self.text
        m = _COOP.search(t, start, end)
        if not m or t[start:m.start()].strip(" ,"):
            return [], start
        cue = _Cue("cooperate", m.start(), m.end(), t[m.start():m.end()].strip())
        # a list of partners is not longer than a few lines: the commas in reach, farthest first
        reach = min(end, m.end() + _PARTNERS_REACH)
        stops = ([end] if end == reach else []) + [k for k in range(reach - 1, m.end(), -1) if t[k] == ","]
        for stop in stops[:16]:
            actors = parse_actor_list(t[m.end():stop], m.end(), self.heads)
            if actors:
                return [(self.resolve(a), cue) for a in actors], stop
        stop = stops[-1] if stops else reach
        for _ in range(12):  # no comma closes it: "in consultation with Y develop …"
            space = t.rfind(" ", m.end(), stop)
            if space <= m.end():
                break
            stop = space
            actors = parse_actor_list(t[m.end():stop], m.end(), self.heads)
            if actors:
                return [(self.resolve(a), cue) for a in actors], stop
        return [], start

    # -- patterns --------------------------------------------------------------

    def tags(self) -> list[tuple[int, int]]:
        """Role tags closing a task, as English translations of Chinese plans write them:
        ``(The General Administration of Customs will take the lead, with the Ministry of
        Commerce participating.)``, ``(Led by X and Y, with participation of Z)``,
        ``(Responsible: X; continuous progress)``.  The duty is the task before the tag, on
        its line; returns the tags' spans."""
        t = self.text
        covered: list[tuple[int, int]] = []
        for m in _EN_TAG.finditer(t):
            rows: list[tuple[ActorSpan, str, _Cue]] = []
            deadline = None
            for seg in _TAG_SEGMENT.finditer(t, m.start("body"), m.end("body")):
                a, b = seg.span()
                for rx, role in _TAG_ROLES:
                    hit = rx.match(t, a, b)
                    if hit:
                        cue = _Cue("tag", hit.start("cue"), hit.end("cue"), hit.group("cue"))
                        if role == "field":  # Responsible: X / Lead unit: X / Participating: X
                            word = cue.text.lower()
                            role = "lead" if word.startswith("lead") else \
                                "responsible" if word.startswith("responsible") else "cooperate"
                        for g in ("actors", "partners"):
                            if hit.groupdict().get(g):
                                names = _RESPECTIVE.sub("", hit.group(g))
                                found = parse_actor_list(names, hit.start(g), self.heads) or []
                                head = actor_head(names, self.heads) if not found else None
                                if head:  # "other relevant departments", which a list drops
                                    found = [ActorSpan(names, hit.start(g), hit.start(g) + len(names), head)]
                                rows += [(x, role if g == "actors" else "cooperate", cue) for x in found]
                        break
                else:
                    found_d = _deadlines(t, a, b)
                    if found_d:
                        deadline = found_d[0]
                    elif _ONGOING_EN.fullmatch(t[a:b].strip(" .")):
                        ds = a + len(t[a:b]) - len(t[a:b].lstrip())
                        deadline = (t[ds:b].strip(" ."), ds, ds + len(t[ds:b].strip(" .")))
            if not rows:
                continue
            line_start = t.rfind("\n", 0, m.start()) + 1
            label = _LABEL_AT_START.match(t, line_start)
            d_start = label.end() if label and label.end() <= m.start() else line_start
            if deadline is None:
                inside = _deadlines(t, d_start, m.start())
                deadline = inside[0] if inside else None
            for actor, role, cue in rows:
                self.add(actor, role, (d_start, m.start()), "en.tag", cue, deadline, (line_start, m.end()))
            covered.append((m.start(), m.end()))
        return covered

    def functions(self) -> list[tuple[int, int]]:
        """Function-list items; returns the spans they cover."""
        t = self.text
        covered: list[tuple[int, int]] = []
        headings = list(_FUNC_HEADING.finditer(t))
        for k, h in enumerate(headings):
            name = h.group("actor").strip()
            head = actor_head(name, self.heads)
            if head is None:
                continue
            body = ActorSpan(name, h.start("actor"), h.start("actor") + len(name), head)
            self.body = body
            region_end = headings[k + 1].start() if k + 1 < len(headings) else len(t)
            items = [m for m in _ITEM.finditer(t, h.end(), region_end)]
            if not items:
                continue
            top_kind = _item_kind(items[0])
            tops = [i for i, m in enumerate(items) if _item_kind(m) == top_kind]
            for n, i in enumerate(tops):
                item = items[i]
                nxt = items[tops[n + 1]].start() if n + 1 < len(tops) else region_end
                subs = items[i + 1:tops[n + 1] if n + 1 < len(tops) else len(items)]
                own_end = subs[0].start() if subs else nxt
                if _TO.match(t[item.end():own_end]):
                    self._function_item(body, item.end(), nxt, covered)
                else:
                    for j, sub in enumerate(subs):
                        s_end = subs[j + 1].start() if j + 1 < len(subs) else nxt
                        if _TO.match(t[sub.end():s_end]):
                            self._function_item(body, sub.end(), s_end, covered)
        return covered

    def _function_item(self, body: ActorSpan, start: int, end: int,
                       covered: list[tuple[int, int]]) -> None:
        para_end = self.text.find("\n", start, end)
        end = para_end if para_end >= 0 else end
        covered.append((start, end))
        m = _TO.match(self.text[start:end])
        d_start = start + (m.end() if m else 0)
        self.add(body, "responsible", (d_start, end), "en.functions", None, None, (start, end))

    def sentence(self, s_start: int, s_end: int) -> None:
        """All clause patterns of one sentence."""
        t = self.text
        cues = [
            _Cue(next(k for k, v in m.groupdict().items() if v is not None), m.start(), m.end(),
                 t[m.start():m.end()].strip())
            for m in _CUE.finditer(t, s_start, s_end)
        ]
        label = _LABEL_AT_START.match(t, s_start)
        first = label.end() if label else s_start
        if not cues:
            self.present(first, s_end)
            return
        # per cue: its actors, their cooperators, and where the previous cue's duty ends
        groups: list[tuple[_Cue, list[ActorSpan], list[tuple[ActorSpan, _Cue]], int]] = []
        prev_actors: list[ActorSpan] | None = None
        for n, cue in enumerate(cues):
            floor = cues[n - 1].end if n else first
            before = t[floor:cue.start]
            if cue.kind in {"resp_of", "led_by"}:
                self.passive(cue, first if n == 0 else floor, s_end if n + 1 == len(cues)
                             else cues[n + 1].start, (s_start, s_end))
                prev_actors = None
                continue
            if _CONJOINED.search(before) and prev_actors and not self.subject(floor, cue.start)[0]:
                subj_start = floor + _CONJOINED.search(before).start()
                groups.append((cue, prev_actors, [], subj_start))
                continue
            actors, coops, subj_start = self.subject(max(first, self.clause_start(floor, cue.start)),
                                                     cue.start)
            cut = subj_start  # where the previous cue's duty ends
            if not actors:
                # "Any agency that has not adopted the Standards … shall adopt": the subject is
                # the noun phrase the relative clause hangs on.
                rel = [m for m in _RELATIVE.finditer(t, max(first, floor), cue.start)]
                if rel:
                    head_end = rel[0].start()
                    head_start = max(first, self.clause_start(floor, head_end))
                    # "shall establish an Advisory Council … that shall": the body is the verb's object
                    verb = _VERB_BEFORE_OBJECT.match(t, head_start, head_end)
                    actors, coops, subj_start = self.subject(verb.end() if verb else head_start, head_end)
                    cut = head_end if verb else subj_start  # "appoint an Executive Director" stays a duty
            if not actors:
                prev_actors = None
                groups.append((cue, [], [], cue.start))
                continue
            prev_actors = actors
            groups.append((cue, actors, coops, cut))
        items = _LIST_OPEN.search(t, s_start, s_end)  # a sentence joined with its list's items
        for n, (cue, actors, coops, _cut) in enumerate(groups):
            if not actors:
                continue
            # the duty runs to the next clause that has its own actor (or conjoined verb)
            end = next((g[3] for g in groups[n + 1:] if g[1]), s_end)
            if items and cue.start > items.start():  # a cue inside an item: the duty ends with it
                nxt = _NEXT_ITEM.search(t, cue.end, min(len(t), end + 12))  # the next label may straddle end
                end = nxt.start() if nxt and nxt.start() < end else end
            self.active(cue, actors, coops, cue.end, end, (s_start, s_end))

    def clause_start(self, floor: int, pos: int) -> int:
        """The last clause opening between ``floor`` and ``pos``."""
        start = floor
        for m in _CLAUSE_START.finditer(self.text, floor, pos):
            start = m.end()
        label = _LABEL_AT_START.match(self.text, start, pos)  # "…following:\n\n(a) the Deputy …"
        return label.end() if label else start

    def subject(self, start: int, end: int) -> tuple[list[ActorSpan], list[tuple[ActorSpan, _Cue]], int]:
        """The actor list that ends right before a cue (longest valid tail), its cooperators, its start."""
        t = self.text
        coops: list[tuple[ActorSpan, _Cue]] = []
        stop = end
        # interposed asides before the cue: "X, in consultation with Y and Z, shall"
        for _ in range(3):
            seg = t[start:stop].rstrip()
            if not seg.endswith(","):
                break
            close = start + len(seg) - 1
            opens = [m.start() for m in _COOP.finditer(t, start, close)
                     if t[start:m.start()].rstrip().endswith(",")]
            coop, list_end = self.cooperators(opens[-1], close) if opens else ([], 0)
            if coop and not t[list_end:close].strip(" ,"):
                coops += coop
                stop = t.rindex(",", start, opens[-1] + 1)
                continue
            if opens:  # a partner the grammar cannot name ("the other members of …"): an aside
                stop = t.rindex(",", start, opens[-1] + 1)
                continue
            open_ = t.rfind(",", start, close)
            if open_ < 0 or not _ASIDE.match(t, open_ + 1, close):
                break
            stop = open_
        tail = _SUBJECT_ADVERB.sub("", t[start:stop])  # "the Advisory Board also shall"
        if not tail.strip():
            return [], [], end
        starts = [0] + [m.end() for m in _LIST_SEP.finditer(tail)]
        for s in starts:
            actors = parse_actor_list(tail[s:], start + s, self.heads)
            if actors:
                resolved = [self.resolve(a) for a in actors]
                return resolved, coops, start + s
        return [], [], end

    def active(self, cue: _Cue, actors: list[ActorSpan], coops: list[tuple[ActorSpan, _Cue]],
               start: int, end: int, scope: tuple[int, int]) -> None:
        """A subject + cue: the duty is what follows the cue, up to the next clause's subject."""
        t = self.text
        end = start + len(_TRAIL_CONJ.sub("", t[start:end]))
        if cue.kind == "modal":
            rest = t[start:end]
            lead = _LEAD_TRIM.match(rest)
            body = rest[lead.end() if lead else 0:]
            body = _ADVERB.sub("", body)
            if _NEGATIVE.match(body) or _NON_DUTY.match(body):
                return
            role, method = "responsible", "en." + re.sub(r"\s+", "_", cue.text.lower())
        elif cue.kind == "lead":
            role, method = "lead", "en.lead"
        else:
            role, method = "responsible", "en.responsible_for"
        d_start, d_end, deadline, more = self.trim_duty(start, end)
        if deadline is None:
            # "Within 90 days of the date of this order, the Secretary shall …"
            before = min(a.start for a in actors)
            leading = [d for d in _deadlines(t, scope[0], before)
                       if t[d[2]:before].lstrip().startswith(",")]
            deadline = leading[0] if leading else None
        for a in actors:
            self.add(a, role, (d_start, d_end), method, cue, deadline, scope)
        for a, c in coops + more:
            self.add(a, "cooperate", (d_start, d_end), "en.cooperate", c, deadline, scope)

    def passive(self, cue: _Cue, start: int, end: int, scope: tuple[int, int]) -> None:
        """``Y is the responsibility of X`` / ``Y will be led by X``: the subject is the duty."""
        t = self.text
        stop = start + len(t[start:end].rstrip(_DUTY_TRIM))
        actors = None
        for _ in range(20):
            actors = parse_actor_list(t[cue.end:stop], cue.end, self.heads)
            if actors or stop <= cue.end:
                break
            comma = t.rfind(",", cue.end, stop)
            stop = comma if comma > cue.end else t.rfind(" ", cue.end, stop)
        if not actors:
            return
        d_start = self.clause_start(start, cue.start)
        role = "lead" if cue.kind == "led_by" else "responsible"
        method = "en.led_by" if cue.kind == "led_by" else "en.responsibility_of"
        d_start, d_end, deadline, coops = self.trim_duty(d_start, cue.start)
        for a in actors:
            self.add(self.resolve(a), role, (d_start, d_end), method, cue, deadline, scope)
        for a, c in coops:
            self.add(a, "cooperate", (d_start, d_end), "en.cooperate", c, deadline, scope)

    def present(self, start: int, end: int) -> None:
        """``The competent department explores …``: a generic body with a present-tense verb."""
        m = _PRESENT.match(self.text, start, end)
        if not m or m.group("verb") in _NOT_PRESENT_VERBS:
            return
        np_text = m.group("np").strip()
        words = np_text.split()
        head = actor_head(np_text, self.heads)
        if head is None or words[-1].lower() != head or any(w.lower() in _STOP for w in words):
            return
        actor = ActorSpan(np_text, m.start("np"), m.start("np") + len(np_text), head)
        cue = _Cue("present", m.start("verb"), m.end("verb"), m.group("verb"))
        d_start, d_end, deadline, coops = self.trim_duty(m.start("verb"), end)
        self.add(actor, "responsible", (d_start, d_end), "en.present", cue, deadline, (start, end))


def _with_list_items(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences ending in ``:`` joined with the lower-case items that complete them.

    ``The Council shall support … by: (a) identifying …; (b) …`` is one sentence:
    the items are the rest of its verb phrase, not clauses with their own subject.
    """
    out: list[tuple[int, int]] = []
    in_list = False
    for start, end in spans:
        if out and _LIST_ITEM_START.match(text, start) and (in_list or text[out[-1][1] - 1] == ":"):
            out[-1] = (out[-1][0], end)
            in_list = True
            continue
        out.append((start, end))
        in_list = False
    return out


def _item_kind(m: re.Match[str]) -> str:
    if m.group("n"):
        return "n"
    return "roman" if _ROMAN.match(m.group("p")) else "p"


def extract_en(doc: Document, heads_path: str | None = None) -> list[Candidate]:
    """Candidate obligations of an English document.

    Args:
        doc: an ingested document; ``doc.text`` is the cleaned text (hard-wrapped
            lines joined), ``doc.provisions`` may be empty.
        heads_path: the head-noun list; ``models/en_actor_heads.txt`` when omitted.
    """
    if not doc.text:
        return []
    ex = _DocExtractor(doc, load_heads(heads_path or str(HEADS_FILE)))
    covered = sorted(ex.functions() + ex.tags())
    cover_starts = [c[0] for c in covered]
    for s_start, s_end in _with_list_items(doc.text, _sentences(doc.text)):
        i = bisect.bisect_right(cover_starts, s_end) - 1
        if i >= 0 and min(s_end, covered[i][1]) - max(s_start, covered[i][0]) > (s_end - s_start) // 2:
            continue  # a sentence of a function item: the item is the obligation
        ex.sentence(s_start, s_end)
    return ex.out
