"""Entity linking: find the spans of a question that name things in the store.

People (any order, case, diacritics, small typos, possessives), institutions (from the affiliations
in the records, with short forms: "Tsinghua", "CMU", "JD"), venues ("ACL", "COLING 2025"), years
("in 2022", "since 2021", "2020-2022", "last year") and quoted titles are linked first; the reader
then reads what is asked from the words that remain.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_EN_PLUS

from scholarbot.answers.labels import find_labels
from scholarbot.answers.query import PlaceKind
from scholarbot.answers.spelling import is_english
from scholarbot.records import fold, name_key
from scholarbot.search.directory import NameIndex, NameMatch


def words(text: str) -> frozenset[str]:
    """A word list written as text (easier to read and edit than a list of quoted strings)."""
    return frozenset(text.split())


#: Longest run of words tried as a person's name ("Mateus de Oliveira Oliveira").
MAX_NAME_TOKENS = 5
#: Longest run of words tried as an institution ("Technion Israel Institute of Technology").
MAX_INSTITUTION_TOKENS = 9
#: An acronym stands for one of the places with its initials when that place has this many times as
#: many researchers in the records as the others together.
ACRONYM_DOMINANCE = 5
#: Similarity (0-100) a misspelt name needs to be linked ("Hetior Murilo Gomes" -> Heitor).
FUZZY_NAME_MIN = 85
#: A word is ordinary text, not a name, when papers use it this many times more often than names do.
ORDINARY_RATIO = 3.0
#: A word of a place's name that papers never write as itself is still a word when papers write its
#: stem this many times more than they print the place ("modeling" of "… Modeling Lab": 9,305 papers
#: against 12 printings; "grammarly" of Grammarly: 89 against 10).
PLACE_TEXT_RATIO = 20.0
#: Printings a place's name is assumed to have at most, to skip counting them for a word papers
#: write more than that allows ("learning": 5,769 papers, 43 place names with it).
PLACE_NAME_PRINTINGS = 5
#: In a question typed all in lower case, an institution's one ordinary word after "at"/"from" still
#: names it when at most this share of papers use the word ("stanford" 0.08%, "google" 0.4%;
#: "scale" 11%, which names Scale AI only when written so).
UNCASED_INSTITUTION_SHARE = 0.01
#: A surname alone names its one bearer, with no "by"/"'s" to say so, when at most this share of
#: papers use it as a word ("navigli": none of 13k papers).
SURNAME_TEXT_SHARE = 0.0002
#: People a surname typed alone may name at once when a cue says a person is meant ("hovy's papers"): the
#: answer asks which of them.
SURNAME_NAMESAKES = 4
#: A word after a given name, typed in lower case, is a surname the records lack when at most this
#: many papers write it ("hinton": 2, cited in passing).
UNKNOWN_SURNAME_PAPERS = 2
#: Words whose being written by papers as themselves is remembered (a few records read each).
WORDS_KEPT = 4096
#: A word in at least this share of the papers is common text (its lower-case venue name is no venue).
COMMON_WORD_SHARE = 0.01

# Words that make up institution names everywhere; alone they never identify one.
_GENERIC_INSTITUTION = words(
    """
    university universities universidad universidade universite universita universitat college
    school institute institution of the and for at de del da di des du la le van von fur technology
    technological science sciences research center centre laboratory laboratories lab labs
    department dept faculty national state academy engineering international inc ltd co corp
    corporation company group polytechnic key china usa uk city new north south east west central
    hospital medical foundation ai artificial intelligence computer computing information data
    systems language languages studies affiliation affiliations affiliated unaffiliated independent
    unknown specified none other
    """
)
#: Words that say a name is an institution's, one of which an acronym's expansion must contain.
_INSTITUTION_KINDS = words(
    """
    university universidad universidade universite universita universitat college school institute
    academy polytechnic laboratory laboratories
    """
)
_UNIVERSITY_SHORT = frozenset({"u", "uni", "univ"})
#: "University" as other languages write it: "Università della Calabria" is the University of Calabria.
_UNIVERSITY_ABROAD = frozenset(
    {"universita", "universitat", "universite", "universidad", "universidade", "universiteit", "universitet"}
)
#: Words that make a name a university's (or a school's within one): "Harbin Institute of Technology"
#: by the phrase below.
_ACADEMIC = words(
    """
    university college school polytechnic polytechnique politecnico ecole hochschule
    """
)
_ACADEMIC_PHRASE = re.compile(r"\binstitute of (?:science|technology)\b")
#: Words that make a place neither a university nor a company: research institutes, academies,
#: national laboratories and agencies, hospitals, foundations.
_PUBLIC_BODY = words(
    """
    institute institut instituto istituto academy academia national foundation council ministry
    hospital government agency cnrs inria csiro riken fraunhofer association society consortium
    federal nonprofit recherche forschung forschungszentrum
    """
)
_UNIT_WORDS = words("research lab labs laboratory laboratories ai group technologies")
_LEGAL_FORMS = words("inc incorporated ltd limited llc gmbh corp corporation co plc ag sa com")
_CITATION_INDEXES = re.compile(r"\b(?:google|semantic)\s+scholar(?:'s)?\b", re.I)
#: Mixed-case short forms of institutions' names ("UMass", "IISc", "UPenn"): capitals, then lower case.
_SHORT_FORM = re.compile(r"[A-Z]{2,4}[a-z]{1,5}")
#: Words that set two things against each other ("A vs B", "more at A or B", "between A and B").
_SET_AGAINST = re.compile(r"\b(?:vs|versus|or|than|between|compared?|comparison)\b|\bvs\.", re.I)
#: A name and the short form it is declared with: "Institute for Infocomm Research (I2R)".
_DECLARED = re.compile(r"([^(),;+]{4,}?)\s*\(([A-Za-z][A-Za-z0-9*&.\-]{1,11})\)")
_ACRONYM_SKIP = words(
    """
    of the and for at de del da di des du la le van von fur in on della delle degli dello dei do dos das
    """
)

_TOKEN = re.compile(r"[^\W_](?:[\w.'’-]*[^\W_])?|[\"“”«»]")
_BREAK = re.compile(r"[,;:!?()\[\]/&|]|\s(?:and|or|vs\.?|versus|with|\+)\s", re.I)
_YEAR = r"((?:1[5-9]|20)\d{2})"
#: A name in Chinese, Japanese or Korean script, written as one word.
_CJK_NAME = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]{2,8}")
#: A word and a two-digit year after it, joined or apart ("colm 24", "ijcai-22", "COLING'25").
_SHORT_YEAR = re.compile(r"\b([A-Za-z]{2,8})(?:\s|-|'|\s')?(\d{2})\b(?![.,:]\d)")


@dataclass(frozen=True)
class Token:
    """One word of the question with its place in the text."""

    text: str
    start: int
    end: int
    #: True when punctuation or a conjunction separates this word from the one before it.
    breaks: bool

    @property
    def word(self) -> str:
        """The word without a possessive ending ("Pang's" -> "Pang")."""
        return re.sub(r"(?:['’]s|['’])$", "", self.text)

    @property
    def capitalised(self) -> bool:
        return self.word[:1].isupper()


@dataclass(frozen=True)
class PersonMention:
    """A span naming one or more people in the store (namesakes share a span)."""

    text: str
    start: int
    end: int
    match: NameMatch


@dataclass
class Links:
    """Everything linked in one question, and the text with those spans taken out."""

    text: str
    people: list[PersonMention] = field(default_factory=list)
    institution: str | None = None
    #: The word that says the institution is where people or papers are: "at" or "from" before it,
    #: or a word for people or papers after it ("Google researchers", "Stanford papers"); "" when
    #: the question only names it ("data from Brazil, Germany and India").
    placed: str = ""
    #: The institution's words as the question has them ("LMs", where `institution` is its expansion).
    institution_said: str = ""
    venue: str | None = None
    #: Every venue named, in order ("more at ACL or NAACL?"); `venue` is the first.
    venues: list[str] = field(default_factory=list)
    #: Venues the question leaves out ("not at ACL", "outside COLM", "except AAAI or IJCAI").
    venues_out: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    #: Single years named apart ("in 2022 or in 2024"), in order; the range then spans them.
    years: list[int] = field(default_factory=list)
    #: Every place named, in order of finding ("Yonsei vs Sungkyunkwan"); `institution` is the first.
    #: A second is looked for only where the question sets things against each other.
    institutions: list[str] = field(default_factory=list)
    #: Labels of how papers were presented or recognised that the question names ("findings
    #: papers", "the demo track", "best paper"): `labels.find_labels`.
    labels: list[str] = field(default_factory=list)
    #: "recent", "new", "latest": the question wants newest first.
    recent: bool = False
    title: str | None = None
    #: The question with linked spans replaced by placeholders: ⟨P1⟩, ⟨P2⟩, ⟨I⟩, ⟨V⟩, ⟨T⟩.
    residual: str = ""
    #: Capitalised runs that look like a name but are not in the store ("Jane Doee").
    unknown_names: list[str] = field(default_factory=list)
    #: Those of them made only of name words and words papers never use ("Hang Ji", "Zorblat
    #: Vennicker"): a person's name wherever they stand.
    name_like: list[str] = field(default_factory=list)

    @property
    def venue_said(self) -> bool:
        """Whether the question names a venue, to keep or to leave out."""
        return bool(self.venues or self.venues_out)


def tokenize(text: str) -> list[Token]:
    """Words with offsets; a word after punctuation or "and"/"with" starts a new run."""
    out: list[Token] = []
    last_end = 0
    for m in _TOKEN.finditer(text):
        gap = text[last_end : m.start()]
        brk = bool(_BREAK.search(f" {gap} ")) or not out
        out.append(Token(m.group(0), m.start(), m.end(), brk))
        last_end = m.end()
    return out


class Institutions:
    """Every affiliation in the records, findable by a phrase of it or by its acronym."""

    def __init__(self, affiliations: Iterable[str]) -> None:
        self.phrases: dict[str, str] = {}  # normalised -> display
        self.by_word: dict[str, set[str]] = defaultdict(set)
        self.by_acronym: dict[str, set[str]] = defaultdict(set)
        self._expanded: dict[str, tuple[str, int] | None] = {}
        self._kinds: dict[str, PlaceKind | None] = {}
        #: Short forms affiliations declare in brackets, "Nara Institute of Science and Technology
        #: (NAIST)": the folded short form -> the names it was declared for, and how it is printed.
        self.declared: dict[str, set[str]] = defaultdict(set)
        self.declared_as: dict[str, str] = {}
        for aff in dict.fromkeys(affiliations):  # most strings repeat across people: fold each once
            norm = normalise_institution(aff)
            if not norm or norm in self.phrases:
                continue
            self.phrases[norm] = aff
            if "(" in aff:
                self._declare(aff)
            words = norm.split()
            for w in words:
                self.by_word[w].add(norm)
            acronym = place_initials(norm)
            if len(acronym) >= 2:
                self.by_acronym[acronym].add(norm)

    def _declare(self, affiliation: str) -> None:
        for m in _DECLARED.finditer(affiliation):
            name, short = normalise_institution(m.group(1)), m.group(2)
            folded = normalise_institution(short)
            # A short form of the name before it, not where it is ("HKUST (Guangzhou)") nor the
            # organisation a unit belongs to ("Key Laboratory of Big Data (SCUT)"): its letters in
            # the name's order, from the name's first letter.
            letters = "".join(c for c in folded if c.isalpha())
            if sum(c.isupper() for c in short) < 2 or " " in folded:
                continue
            if abbreviates(letters, name.replace(" ", "")):
                self.declared[folded].add(name)
                self.declared_as.setdefault(folded, short)

    def declared_names(self, mention: str) -> list[str]:
        """The names affiliations declare a short form for ("NAIST": Nara Institute of Science and
        Technology), so papers that print only the long name are found by the short one."""
        return sorted(self.declared.get(normalise_institution(mention), ()))

    def expand(self, acronym: str) -> str | None:
        """The name an acronym no affiliation's initials spell may stand for, taking the first
        letters of some words ("NAIST": Nara Institute of Science and Technology, "IISc", "UPenn").

        Every word of the name gives the acronym a beginning of itself, in order, words such as
        "of" aside; the name printed in most affiliations wins. None when no name fits.
        """
        found = self.expansion(acronym)
        return found[0] if found else None

    def expansion(self, acronym: str) -> tuple[str, int] | None:
        """:meth:`expand`'s name and how many affiliations print it."""
        acronym = acronym.lower()
        if acronym not in self._expanded:
            self._expanded[acronym] = self._expand(acronym)
        return self._expanded[acronym]

    def _expand(self, acronym: str) -> tuple[str, int] | None:
        if not re.fullmatch(r"[a-z]{2,7}", acronym):
            return None
        # Words such as "of", and the kind of institution ("Caltech": California Institute of Technology).
        skip = "|".join(sorted(_ACRONYM_SKIP | _INSTITUTION_KINDS))
        # Each further letter either goes on spelling the current word or begins the next one.
        steps = "".join(rf"(?:{c}|[a-z0-9]*\s(?:(?:{skip})\s)*{c})" for c in acronym[1:])
        # From the start of an affiliation: a name, not a unit inside one ("PKU" is no "Province Key
        # Laboratory for Ubiquitous …" of some university).
        pattern = re.compile(rf"{acronym[0]}{steps}[a-z0-9]*(?![a-z0-9])")
        runs: Counter[str] = Counter()
        for norm in self.phrases:
            m = pattern.match(norm)
            if m is None:
                continue
            run = m.group(0)
            names = run.split()
            # A kind of institution in it: "NLP" is no Natural Language Processing lab.
            if any(self.distinctive(w) for w in names) and _INSTITUTION_KINDS & set(names):
                runs[run] += 1
        if not runs:
            return None
        best = max(runs, key=lambda r: (runs[r], -len(r)))
        return " ".join(w if w in _ACRONYM_SKIP else w.capitalize() for w in best.split()), runs[best]

    def find(self, words: list[str]) -> set[str]:
        """Affiliations containing these words as one phrase, words such as "of" between them
        aside ("Uni Hamburg": University of Hamburg)."""
        # Words such as "of" and "della" may differ between spellings of one name: not required
        # between two words or more that are ("in-the-wild" is no place called "Wild").
        content = [w for w in words if w not in _ACRONYM_SKIP]
        words = content if len(content) > 1 else words
        if not words or any(w not in self.by_word for w in words):
            return set()
        candidates = set.intersection(*(self.by_word[w] for w in words))
        phrase = _phrase_pattern(words)
        found = {c for c in candidates if phrase.search(c)}
        if not found and len(words) > 1 and words[-1] == "university":
            # "Oslo uni", "Tsinghua University": "University of Oslo" is the same place.
            found = self.find(["university", *words[:-1]])
        return found

    def ends_a_name(self, word: str) -> bool:
        """Whether some affiliation starts or ends with the word ("Stanford University", "University
        of Edinburgh"): a word only ever inside names ("… Institute of Big Data") names no place."""
        return any(
            n.startswith(f"{word} ") or n.endswith(f" {word}") or n == word
            for n in self.by_word.get(word, ())
        )

    def spelt_with(self, acronym: str, words: list[str]) -> bool:
        """Whether an affiliation is an acronym's place followed by these words ("IIT Patna":
        Indian Institute of Technology Patna), the words naming which of its places."""
        mention = " ".join([acronym, *words])
        candidates = set.intersection(*(self.by_word.get(w, set()) for w in words)) if words else set()
        return any(institution_matches(mention, c) for c in candidates)

    def spelling(self, acronym: str) -> list[str]:
        """The places whose initials an acronym is, one name each: names that differ only in words
        such as "of" and "and", which give no initial, are one place spelt two ways ("Science &
        Technology", "Science and Technology")."""
        places = {
            " ".join(w for w in n.split() if w not in _ACRONYM_SKIP): self.phrases[n]
            for n in sorted(self.by_acronym.get(acronym.lower(), ()))
        }
        return sorted(places.values())

    def kind(self, name: str) -> PlaceKind | None:
        """Whether a place is a university or a company, by the words of its name; None for
        research institutes, academies, public bodies, and acronyms no affiliation spells out.

        A name of one acronym ("KAIST", "MIT") is the kind of the places the records spell with
        those initials ("Korea Advanced Institute of Science and Technology"); one no affiliation
        spells ("ETH Zurich", "NVIDIA") is of neither kind, for its name cannot say. Other names
        without a kind of institution are companies' ("Tencent AI Lab", "IBM Research").
        """
        if name not in self._kinds:
            self._kinds[name] = self._kind(name)
        return self._kinds[name]

    def _kind(self, name: str, expand: bool = True) -> PlaceKind | None:
        norm = normalise_institution(name)
        words = norm.split()
        if not words:
            return None
        if _ACADEMIC & set(words) or _ACADEMIC_PHRASE.search(norm):
            return "university"
        if _PUBLIC_BODY & set(words):
            return None
        head, *rest = name.split()
        # "KAIST", "ETH Zurich": an acronym and at most where it is; "IBM Research" is a company's unit.
        if re.fullmatch(r"[A-Z]{2,6}", head) and not _UNIT_WORDS & {w.lower() for w in rest}:
            if not expand:
                return None  # a spelt-out name that is an acronym again says nothing more
            spelt = [k for k in (self._kind(n, expand=False) for n in self.spelling(head)) if k]
            expanded = self.expansion(head)
            if expanded and not spelt:
                spelt = [k for k in [self._kind(expanded[0], expand=False)] if k]
            if spelt:
                return "university" if "university" in spelt else spelt[0]
            return None  # "ETH Zurich", "NVIDIA": the name does not say which
        return "company"

    def inside_other_name(self, mention: str, affiliation: str) -> bool:
        """Whether a one-word place is, in this affiliation, only part of another place's name:
        "Columbia" in "University of British Columbia", "Washington" in "George Washington
        University". A word before it that names a place of its own ("Google DeepMind") or is a
        common part of names ("New", "North") does not make it another place."""
        m = normalise_institution(mention)
        if " " in m or not m:
            return False
        words = normalise_institution(affiliation).split()
        spots = [i for i, w in enumerate(words) if w == m]
        return bool(spots) and all(
            i > 0 and self.distinctive(words[i - 1]) and words[i - 1] not in self.phrases for i in spots
        )

    def distinctive(self, word: str) -> bool:
        return (
            word in self.by_word
            and word not in _GENERIC_INSTITUTION
            and word not in _FUNCTION_WORDS
            and len(word) > 1
            and not word.isdigit()
        )


def abbreviates(short: str, letters: str) -> bool:
    """Whether a short form's letters are among a name's letters (or initials), in their order and
    from the first: "naist" of "narainstitute…", "nict" of the initials "niict"."""
    rest = iter(letters)
    return bool(short) and bool(letters) and short[0] == letters[0] and all(c in rest for c in short)


def spells_place(short: str, affiliation: str) -> bool:
    """Whether a short form of a place's name ("UVA") spells the start of an affiliation's name
    ("University of Virginia") letter by letter, though its initials are other ("UoV"): enough to
    tell apart namesakes, who seldom share a place's letters, not to find a place among all."""
    short = short.lower()
    if not short.isalpha() or not 2 <= len(short) <= SPELT_LETTERS:
        return False
    return abbreviates(short, normalise_institution(affiliation).replace(" ", ""))


#: Letters of the longest short form `spells_place` checks ("UCSD", "KAUST").
SPELT_LETTERS = 6


def place_initials(name: str) -> str:
    """The initials a place's name gives its acronym, words such as "of" aside ("nict")."""
    return "".join(w[0] for w in normalise_institution(name).split() if w not in _ACRONYM_SKIP)


#: "NEC Labs America" and "NEC Laboratories America": papers print either.
_LAB_LONG = {"lab": "laboratory", "labs": "laboratories"}


@lru_cache(maxsize=1 << 16)  # every affiliation is normalised again for each place asked about
def normalise_institution(text: str) -> str:
    """Fold an institution's name: case, accents, punctuation and a leading "the" do not matter."""
    # "King's College", "Kings College" and "Noah's Ark Lab" typed without its apostrophe are one name.
    words = re.sub(r"[^a-z0-9]+", " ", re.sub(r"(?<=\w)['’]s\b", "s", fold(text))).split()
    if words and words[0] == "the":
        words = words[1:]
    # "U of Toronto", "Univ. of Edinburgh": the short forms of "university" that stand alone.
    words = ["university" if w in _UNIVERSITY_SHORT or w in _UNIVERSITY_ABROAD else w for w in words]
    words = [_LAB_LONG.get(w, w) for w in words]
    # "Allen Institute for AI" and "… for Artificial Intelligence" are one place; the long form
    # keeps the initials acronyms are made of ("MBZUAI").
    words = [x for w in words for x in (("artificial", "intelligence") if w == "ai" else (w,))]
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        # "Amazon.com, Inc.", "Adobe Systems Incorporated": a company's legal form is no part of
        # the name people say, and papers print it or not.
        words.pop()
    if len(words) > 1 and words[-1] == "tech":
        # "Georgia Tech" is how people say Georgia Institute of Technology; a name printed "... Tech"
        # is folded the same way, so both sides still meet.
        words[-1:] = ["institute", "of", "technology"]
    return " ".join(words)


def _phrase_pattern(words: list[str]) -> re.Pattern[str]:
    """These words in order, words such as "of" allowed between them."""
    return _compiled_phrase(tuple(words))


@lru_cache(maxsize=4096)  # one institution is matched against every affiliation in the records
def _compiled_phrase(words: tuple[str, ...]) -> re.Pattern[str]:
    skip = "|".join(sorted(_ACRONYM_SKIP))
    between = rf"\s+(?:(?:{skip})\s+)*"
    return re.compile(r"(?<![a-z0-9])" + between.join(map(re.escape, words)) + r"(?![a-z0-9])")


#: Words a place's name needs before they may match an affiliation in any order.
UNORDERED_MIN_WORDS = 3


def institution_matches(mention: str, affiliation: str) -> bool:
    """Whether an affiliation is the institution a question named (phrase or acronym)."""
    m, a = normalise_institution(mention), normalise_institution(affiliation)
    if not m or not a:
        return False
    named = m.split()
    said = a.split()
    if len(named) > 1 and len(said) > 1 and not _shares_distinctive(named, said):
        # Of several words each, the names share one that is not a word such as "University",
        # or the affiliation is no match (most of the records' affiliations, rejected here first).
        return False
    # "Università della Calabria" / "University of Calabria": words such as "of" need not match.
    content = [w for w in named if w not in _ACRONYM_SKIP] or named
    if f" {m} " in f" {a} " or (len(content) > 1 and _phrase_pattern(content).search(a)):
        return True
    if (
        len(content) >= UNORDERED_MIN_WORDS
        and any(w not in _GENERIC_INSTITUTION for w in content)
        and set(content) <= set(a.split())
    ):
        # A lab and its organisation named in the other order: "Alibaba DAMO Academy" for "DAMO
        # Academy, Alibaba Group", "Cambridge Language Technology Lab" for "Language Technology
        # Lab, University of Cambridge" (two words may swap places' names: "Washington University").
        return True
    if (
        len(named) > 1
        and named[-1] == "university"
        and _phrase_pattern(["university", *named[:-1]]).search(a)
    ):
        return True  # "Oslo uni": University of Oslo
    if len(named) >= 3 and named[-1] in _INSTITUTION_KINDS and f" {' '.join(named[:-1])} " in f" {a} ":
        return True  # "Carnegie Mellon University" printed "Carnegie Mellon"
    if len(named) > 1 and named[0] == "tu":
        # "TU Delft", "TU Munich": a technical university, printed in any of its spellings.
        place = " ".join(named[1:])
        spelt = (
            f"technical university of {place}",
            f"{place} university of technology",
            f"technische universitat {place}",
        )
        if any(f" {x} " in f" {a} " for x in spelt):
            return True
    words = a.split()
    acronym = "".join(w[0] for w in words if w not in _ACRONYM_SKIP)
    if " " not in m:
        return len(m) >= 2 and m == acronym
    if " " not in a and len(a) >= 3 and a == "".join(w[0] for w in named if w not in _ACRONYM_SKIP):
        return True  # "CMU" printed where the question spelt out Carnegie Mellon University
    # "IIT Bombay" for "Indian Institute of Technology Bombay": words, or initials of runs of words.
    if not any(w in words for w in named):
        return False
    # From where a name starts: after a comma or a word such as "of" or "department", not inside
    # another name ("IIT Delhi" is not the end of "Indraprastha Institute of Information
    # Technology Delhi", IIIT Delhi; it is of "Dept. of CSE, Indian Institute of Technology Delhi").
    boundaries: set[int] | None = None
    for k in range(len(words)):
        if not _spells(named, words, k):
            continue
        if k == 0 or words[k - 1] in _GENERIC_INSTITUTION or words[k - 1] in _ACRONYM_SKIP:
            return True
        if boundaries is None:  # where its parts start, worked out only for a match inside a name
            boundaries, at = set(), 0
            for part in re.split(r"[,;/()]", affiliation):
                at += len(normalise_institution(part).split())
                boundaries.add(at)
        if k in boundaries:
            return True
    return False


def research_arm(mention: str) -> Callable[[str], bool]:
    """Whether an affiliation names the organisation's research arm a mention names, in another way:
    the organisation's name followed only by words for a kind of unit, "Salesforce Research" and
    "Salesforce AI Research", "Meta AI" and "Meta AI Research" (not "Google Research" and "Google
    DeepMind", nor the bare "Google"). Always false for a mention that names no such unit."""
    m = normalise_institution(mention).split()
    core = _without_unit_words(m)
    if not core or len(core) == len(m) or m[-1] not in _UNIT_WORDS | {"artificial", "intelligence"}:
        return lambda affiliation: False

    def arm(affiliation: str) -> bool:
        # Only words for a unit may follow the name: "Zhejiang University" is no arm of "Zhejiang Lab".
        a = normalise_institution(affiliation).split()
        return (
            len(a) > len(core)
            and a[: len(core)] == core
            and set(a[len(core) :]) <= _UNIT_WORDS | {"artificial", "intelligence"}
        )

    return arm


def _without_unit_words(words: list[str]) -> list[str]:
    end = len(words)
    while end and words[end - 1] in _GENERIC_INSTITUTION:
        end -= 1
    return words[:end] if end and words[0] not in _GENERIC_INSTITUTION else []


def _shares_distinctive(named: list[str], said: list[str]) -> bool:
    distinctive = [w for w in named if w not in _GENERIC_INSTITUTION and w not in _ACRONYM_SKIP]
    return not distinctive or any(w in said for w in distinctive)


def _spells(named: list[str], words: list[str], at: int) -> bool:
    """Whether `named` reads `words` from `at` on, each named word one word or the initials of a run
    of them ("iit": indian institute of technology; words such as "of" give no initial)."""
    if not named:
        return True
    if 0 < at < len(words) and words[at] in _ACRONYM_SKIP and words[at] not in named[:1]:
        # Between named parts, words such as "at" are passed over ("UT Austin": University of
        # Texas at Austin); a name does not start with one.
        return _spells(named, words, at + 1)
    if at >= len(words) or words[at] in _ACRONYM_SKIP:
        return False
    head, rest = named[0], named[1:]
    if words[at] == head and _spells(rest, words, at + 1):
        return True
    if len(head) < 2 or head[0] != words[at][0]:
        return False
    letters = ""
    for end in range(at, len(words)):
        if words[end] in _ACRONYM_SKIP:
            continue
        letters += words[end][0]
        if letters == head:
            return _spells(rest, words, end + 1)
        if not head.startswith(letters):
            return False
    return False


#: Other names people write for venue families, folded: used only for families the store holds.
VENUE_ALIASES = {
    "thewebconf": "WWW",
    "webconf": "WWW",
    "the web conference": "WWW",
    "web conference": "WWW",
    "nips": "NeurIPS",
    "sigkdd": "KDD",
    "acm sigir": "SIGIR",
    "naacl-hlt": "NAACL",
    "naacl hlt": "NAACL",
    "conference on language modeling": "COLM",
}
MAX_ALIAS_WORDS = max(len(a.split()) for a in VENUE_ALIASES)
#: Well-known venues, so a question naming one the records lack is told so rather than searched for
#: as a topic. Names that are also everyday words or names (CHI, RSS, EC) are left out.
KNOWN_VENUES = words(
    """
    AAAI AACL AAMAS ACL AISTATS COLING COLM COLT CoNLL CoRL CIKM CVPR EACL ECCV ECIR EMNLP ICASSP ICCV
    ICDE ICDM ICLR ICML ICRA IJCAI Interspeech IROS ISMIR KDD LREC MICCAI NAACL NeurIPS RecSys SemEval
    SIGGRAPH SIGIR SIGMOD TACL TMLR UAI UIST VLDB WACV WMT WSDM WWW ISWC ESWC ECAI ICAPS CSCW ICWSM
    FAccT JMLR JAIR MLSys IJCNLP
    """
)


def venue_family(venue: str | None) -> str | None:
    """ "COLING 2025" -> "COLING"; "arXiv" -> "arXiv"."""
    if not venue:
        return None
    # "Findings of the Association for Computational Linguistics: EMNLP 2025" is EMNLP's.
    findings = re.match(r"findings\b[^:]*:\s*([A-Za-z]+)", venue, re.I)
    if findings:
        return findings.group(1)
    family = re.sub(r"\s*'?\d{2,4}\b.*$", "", venue).strip(" -")
    return family or None


class Linker:
    """Links the spans of a question to people, institutions, venues and years in the store."""

    def __init__(
        self,
        names: NameIndex,
        institutions: Institutions | Callable[[], Institutions],
        venues: Iterable[str],
        text_frequency: Callable[[str], int],
        *,
        papers: int = 0,
        affiliated: Callable[[str], int] = lambda _: 0,
        written: Callable[[str], bool] = lambda _: True,
        today: Callable[[], dt.date] = dt.date.today,
        labels: Iterable[str] = (),
    ) -> None:
        self.names = names
        #: The labels the records hold (`records.paper_labels`).
        self.labels = list(labels)
        #: Whether papers write a word itself, not only other words of its stem.
        self.written = written
        self._written: dict[str, bool] = {}
        #: How many researchers the records place at an institution named so.
        self.affiliated = affiliated
        #: How many papers `text_frequency` counts over (0: unknown).
        self.papers = papers
        # Built on first need: most questions name no institution, and folding every affiliation
        # in the records costs a third of a second at 13k papers.
        self._institutions = institutions
        held = {fold(v): v for v in {venue_family(x) for x in set(venues)} if v}
        # Venues the records lack are still venues: "NeurIPS papers by X" is answered "none there".
        self.venues = {fold(v): v for v in KNOWN_VENUES} | held
        self.text_frequency = text_frequency
        self.today = today

    @property
    def institutions(self) -> Institutions:
        if not isinstance(self._institutions, Institutions):
            self._institutions = self._institutions()
        return self._institutions

    # --- the whole question -------------------------------------------------------------------

    def link(self, question: str) -> Links:
        text = " ".join(question.replace("’", "'").replace("‘", "'").split())
        # Where citations are counted, not a person or a place in the records.
        text = " ".join(_CITATION_INDEXES.sub(" ", text).split())
        text = self._short_years(text)
        links = Links(text=text)
        spans: list[tuple[int, int, str]] = []  # (start, end, placeholder) in characters
        text = self._take_title(text, links, spans)
        self._take_years(text, links, spans)
        tokens = [t for t in tokenize(text) if not _inside(t, spans) and t.text not in '"“”«»']
        # Exact names first; then venues and institutions; misspelt names last, so "Hong Kong
        # Baptist University" is not read as a typo of someone called Heng Kong.
        taken = self._take_people(tokens, links, spans, fuzzy=False)
        tokens = [t for t in tokens if t.start not in taken]
        self._take_labels(tokens, links, spans)
        tokens = [t for t in tokens if not _inside(t, spans)]
        self._take_venue(tokens, links, spans)
        tokens = [t for t in tokens if not _inside(t, spans)]
        self._take_institution(tokens, links, spans)
        if links.institution:
            links.institutions.append(links.institution)
            if _SET_AGAINST.search(text):
                # "Yonsei vs Sungkyunkwan", "Westlake University or Zhejiang Lab": the second place.
                other = Links(text=text)
                self._take_institution([t for t in tokens if not _inside(t, spans)], other, spans)
                if other.institution and normalise_institution(other.institution) != normalise_institution(
                    links.institution
                ):
                    links.institutions.append(other.institution)
        self._keep_longer_name(tokens, links, spans)
        tokens = [t for t in tokens if not _inside(t, spans)]
        taken = self._take_people(tokens, links, spans, fuzzy=True)
        tokens = [t for t in tokens if t.start not in taken]
        links.people.sort(key=lambda m: m.start)
        # Placeholders are numbered in the order the names appear.
        spans[:] = [s for s in spans if not s[2].startswith("⟨P")]
        spans += [(m.start, m.end, f"⟨P{n}⟩") for n, m in enumerate(links.people, 1)]
        links.unknown_names = self._unknown_names(tokens)
        links.name_like = [n for n in links.unknown_names if self._name_like(n)]
        links.residual = _replace(text, spans)
        links.recent = bool(
            re.search(r"\b(?:recent(?:ly)?|latest|newest|new|newly|lately|nowadays)\b", text, re.I)
        )
        return links

    # --- titles and years ---------------------------------------------------------------------

    def _short_years(self, text: str) -> str:
        """A venue's year in two digits written out ("colm 24", "ijcai-22", "COLING'25", "naacl21"):
        the year filter, not a number left in the topic."""
        century = self.today().year // 100 * 100

        def out(m: re.Match[str]) -> str:
            word, short = m.group(1), int(m.group(2))
            folded = fold(word)
            known = folded in self.venues or fold(VENUE_ALIASES.get(folded, "")) in self.venues
            if not known or century + short > self.today().year + 1:
                return m.group(0)
            return f"{word} {century + short}"

        return _SHORT_YEAR.sub(out, text)

    def _take_title(self, text: str, links: Links, spans: list[tuple[int, int, str]]) -> str:
        m = re.search(r"[\"“«]([^\"“”«»]{8,})[\"”»]", text)
        if m and len(m.group(1).split()) >= 3:  # a quoted title, not a quoted term ("open-book")
            links.title = m.group(1).strip()
            spans.append((m.start(), m.end(), "⟨T⟩"))
        return text

    def _take_years(self, text: str, links: Links, spans: list[tuple[int, int, str]]) -> None:
        year_now = self.today().year
        rules: list[tuple[str, Callable[[re.Match[str]], tuple[int | None, int | None]]]] = [
            (
                rf"\b(?:between|from)\s+{_YEAR}\s+(?:and|to|until|till|-|–)\s+{_YEAR}\b",
                lambda m: (int(m.group(1)), int(m.group(2))),
            ),
            (rf"\b{_YEAR}\s*(?:-|–|to)\s*{_YEAR}\b", lambda m: (int(m.group(1)), int(m.group(2)))),
            # "papers from 2021" is that year; "from 2021 on" is a range (so are "since 2021", "2024
            # and later", "2022+"; "in 2021 on dialogue" is not).
            (
                rf"\b(?:since\s+{_YEAR}|after\s+{_YEAR}|starting(?:\s+in)?\s+{_YEAR}|"
                rf"from\s+{_YEAR}\s+(?:on(?:wards?)?|forwards?)|"
                rf"{_YEAR}\s+(?:onwards?|(?:and|or)\s+(?:later|after|newer|beyond|since)))\b|\b{_YEAR}\+",
                _since,
            ),
            (rf"\b(?:before|until|till|up\s+to|prior\s+to|through)\s+{_YEAR}\b", _before),
            (
                r"\b(?:in\s+)?(?:the\s+)?(?:last|past)\s+(\d+|two|three|four|five|six|ten)\s+years?\b",
                lambda m: (year_now - _number(m.group(1)) + 1, None),
            ),
            (r"\b(?:in\s+)?last\s+year\b", lambda m: (year_now - 1, year_now - 1)),
            (r"\b(?:in\s+)?this\s+year\b", lambda m: (year_now, year_now)),
            (rf"\b(?:in|during|of|for)?\s*(?:the\s+year\s+)?{_YEAR}\b", lambda m: (int(m.group(1)),) * 2),
        ]
        single = rules[-1][0]
        for pattern, years in rules:
            for m in re.finditer(pattern, text, re.I):
                if any(s <= m.start() < e or s < m.end() <= e for s, e, _ in spans):
                    continue
                lo, hi = years(m)
                if pattern == single and lo is not None:
                    # "in 2022 or in 2024": two years, each named; the range spans both, not neither.
                    links.years.append(lo)
                    if len(set(links.years)) > 1:
                        links.year_from, links.year_to = min(links.years), max(links.years)
                        spans.append((m.start(), m.end(), ""))
                        continue
                if lo is not None:
                    links.year_from = lo if links.year_from is None else max(links.year_from, lo)
                if hi is not None:
                    links.year_to = hi if links.year_to is None else min(links.year_to, hi)
                spans.append((m.start(), m.end(), ""))

    # --- people -------------------------------------------------------------------------------

    def _take_people(
        self, tokens: list[Token], links: Links, spans: list[tuple[int, int, str]], *, fuzzy: bool
    ) -> set[int]:
        found: list[tuple[int, int, PersonMention]] = []  # token index range
        used: set[int] = set()
        candidates: list[tuple[tuple[int, int, int], int, int, NameMatch]] = []
        for size in range(min(MAX_NAME_TOKENS, len(tokens)), 1, -1):
            for i in range(len(tokens) - size + 1):
                run = tokens[i : i + size]
                if any(t.breaks for t in run[1:]) or any(_POSSESSIVE.search(t.text) for t in run[:-1]):
                    continue
                match = self._name_match(run, fuzzy=fuzzy)
                if match is not None:
                    # Longer spans first, then exact before fuzzy, then earlier.
                    candidates.append(((-size, 0 if match.exact else 1, i), i, i + size, match))
        if fuzzy:
            # A bare surname after "by"/"from"/"with" or before "'s" ("papers by Cotterell"), when
            # exactly one person in the records carries it.
            # Without a cue, a surname the papers' text all but never uses ("what has navigli done
            # on SRL?", "sandholm and conitzer: any paper together?") is read so too.
            for i, t in enumerate(tokens):
                if _CJK_NAME.fullmatch(t.word) and name_key(t.word) in self.names.by_key:
                    # "papers by 江常皓": a name written in its own script, one word, no capitals.
                    if (cjk := self.names.lookup(t.word)) is not None:
                        candidates.append(((-1, 0, i), i, i + 1, cjk))
                    continue
                cue = (i > 0 and tokens[i - 1].word.lower() in {"by", "from", "with", "of"}) or bool(
                    _POSSESSIVE.search(t.text)
                )
                if not (cue and t.capitalised) and (
                    not self._name_only(fold(t.word)) or is_english(fold(t.word))
                ):
                    continue  # without a cue, an English word is no surname alone ("safe rust")
                before = tokens[i - 1] if i > 0 and not t.breaks else None
                if before is not None and len(before.word.rstrip(".")) == 1 and before.word[:1].isalpha():
                    # "m. iyyer": an initial and a surname, typed in lower case (capitalised, it is
                    # an unknown name the engine expands); the initial says which of its people.
                    if not any(c.isupper() for c in before.text + t.text) and (
                        match := self._surname_match(t, initial=before.word[0], several=True)
                    ):
                        candidates.append(((-2, 1, i - 1), i - 1, i + 1, match))
                    continue
                if before is not None and self._given_name(before):
                    continue  # "emily bender": a surname after a given name is that name's
                # With a cue ("hovy's most cited paper"), a surname several people carry names them
                # all, and the answer asks which; without one, it must name a single person.
                if (match := self._surname_match(t, several=cue)) is not None:
                    candidates.append(((-1, 1, i), i, i + 1, match))
        for _, i, j, match in sorted(candidates, key=lambda c: c[0]):
            if used & set(range(i, j)):
                continue
            used |= set(range(i, j))
            run = tokens[i:j]
            # The name is carried on as the records print it ("gu hanlin" -> "Hanlin Gu"; a misspelt
            # name as the one it was read as), so the query shows how it was understood.
            text = match.people[0].name if match.people else " ".join(t.word for t in run)
            mention = PersonMention(text, run[0].start, run[-1].end, match)
            found.append((i, j, mention))
        for _, _, mention in found:
            links.people.append(mention)
            spans.append((mention.start, mention.end, "⟨P⟩"))
        return {tokens[k].start for k in used}

    def _keep_longer_name(self, tokens: list[Token], links: Links, spans: list[tuple[int, int, str]]) -> None:
        """Undo an institution that is part of a longer misspelt name: "papers by Hainan Zhagn" is
        Hainan Zhang, not Hainan University and a topic "Zhagn". The longer reading explains more of
        the question; an institution as long as the name ("Hong Kong Baptist University") stays."""
        if links.institution is None:
            return
        start, end, _ = spans[-1]
        inside = [k for k, t in enumerate(tokens) if start <= t.start < end]
        if not inside:
            return
        i, j = inside[0], inside[-1] + 1
        for size in range(min(MAX_NAME_TOKENS, len(tokens)), j - i, -1):
            for a in range(max(0, j - size), min(i, len(tokens) - size) + 1):
                run = tokens[a : a + size]
                if any(t.breaks for t in run[1:]) or any(_POSSESSIVE.search(t.text) for t in run[:-1]):
                    continue
                if self._name_match(run, fuzzy=True) is not None:
                    links.institution, links.placed = None, ""
                    spans.pop()
                    return

    def _dominant(self, acronym: str) -> str | None:
        """The name an acronym stands for when most of the researchers at a place with those initials
        are at that one ("CMU": Carnegie Mellon University, not also Cardiff Metropolitan University);
        None when no name dominates ("NTU" is two large universities) or there is only one."""
        names = sorted(self.institutions.by_acronym[acronym])
        if len(names) < 2:
            return None
        counted = sorted(((self.affiliated(n), n) for n in names), reverse=True)
        top, name = counted[0]
        if top < ACRONYM_DOMINANCE * sum(n for n, _ in counted[1:]):
            return None
        return self.institutions.phrases[name]

    def _place_word(self, tokens: list[Token], i: int) -> bool:
        """Whether the word at `i` names a place however it is typed ("what did edinburgh publish",
        "did microsoft have papers at NAACL", "tsinghua's most cited paper"): few papers use it,
        more researchers work at a place so named than papers use it or people carry it as a name,
        and no "on"/"about" makes it what papers are about."""
        word = fold(tokens[i].word)
        if (
            not self.institutions.distinctive(word)
            or word in _STOPWORDS
            or len(word) < 3
            or not self._rare_in_text(word)
            or (i > 0 and tokens[i - 1].word.lower() in _ABOUT)
            or not self.institutions.ends_a_name(word)
        ):
            return False
        return self.affiliated(word) > max(self._as_text(word), self.names.word_count(word), 1)

    def _modifier(self, tokens: list[Token], i: int) -> bool:
        """Whether a capitalised word inside a paper's description is said as a term before the noun
        it modifies ("RL from AI feedback", "graphs built from DTW similarity"), not as a place
        ("papers from CMU on parsing", "from KAIST lately", "from IBM research"): the question is a
        long description and the word after it a lower-case noun papers write, no word of a frame."""
        if i + 1 >= len(tokens) or len(tokens) < MODIFIER_CONTEXT_WORDS:
            return False
        nxt = tokens[i + 1]
        low = nxt.word.lower()
        framed = low in _NOT_MODIFIED
        return not (nxt.breaks or not nxt.word.islower() or framed or low.endswith(("ing", "ed", "ly"))) and (
            self._ordinary(low)
        )

    def _acronym_before_papers(self, tokens: list[Token], i: int) -> bool:
        """Whether the word at `i` is a known place's acronym before a word for papers, however
        typed ("cmu papers", "hkust papers at www 2025")."""
        return (
            i + 1 < len(tokens)
            and tokens[i + 1].word.lower() in _PAPER_WORDS
            and tokens[i].word.lower() in self.institutions.by_acronym
        )

    def _papers_of_place(self, tokens: list[Token], j: int, word: str) -> bool:
        """Whether a word before a word for papers names where they were written ("Stanford papers",
        "Google papers"): more researchers work at a place so named than papers use the word
        ("Twitter papers" are about Twitter)."""
        return (
            j < len(tokens)
            and tokens[j].word.lower() in _PAPER_WORDS
            and self.affiliated(word) >= max(self.text_frequency(word), 1)
        )

    def _surname_match(self, token: Token, *, initial: str = "", several: bool = False) -> NameMatch | None:
        """The people whose surname a word is (hyphens and accents aside: "gomez-rodriguez"), of the
        given initial when one is typed; one person, or up to SURNAME_NAMESAKES when `several`."""
        word = fold(token.word).replace("-", "")
        if word in _FUNCTION_WORDS or self._ordinary(word) or len(word) < 3:
            return None
        keys = self.names.keys_with_word(word)

        def words(name: str) -> list[str]:
            return fold(name).replace("-", "").split()

        people = {p.id: p for key in keys for p in self.names.by_key[key] if words(p.name)[-1:] == [word]}
        if initial:
            people = {k: p for k, p in people.items() if words(p.name)[0][:1] == initial.lower()}
        # A word more people carry as a given name than as a surname starts an unknown name ("papers by
        # john smithee"), it does not name the one person whose surname it is (Chelsea John).
        given = sum(words(p.name)[:1] == [word] for k in keys for p in self.names.by_key[k])
        most = SURNAME_NAMESAKES if several else 1
        if not 1 <= len(people) <= most or given > len(people):
            return None
        return NameMatch(token.word, tuple(people.values()), exact=False)

    def _name_match(self, run: list[Token], *, fuzzy: bool) -> NameMatch | None:
        words = [t.word for t in run]
        key = name_key(" ".join(words))
        if not key:
            return None
        keys = key.split()
        capitalised = all(t.capitalised for t in run)
        if key in self.names.by_key or self.names.keys_but_initials(key):
            if not capitalised and all(self._ordinary(w) for w in keys):
                return None  # "long short" is text even if someone is called Short Long
            return self.names.lookup(" ".join(words))
        plain = any(w in _FUNCTION_WORDS for w in keys) or all(self._ordinary(w) for w in keys)
        if not plain and self.names.respelt(" ".join(words)):
            return self.names.lookup(" ".join(words))
        if not fuzzy:
            return None
        # A misspelt name: every word looks like a name word or is unknown to the papers, and at
        # least one word is a known name word. A short surname ("eo", "wu") is often also a token
        # of text; as a name word it may stand in a misspelt name ("sugyoeng eo").
        if any(
            w in _FUNCTION_WORDS or (self._ordinary(w) and not (len(w) <= 3 and self.names.word_count(w)))
            for w in keys
        ):
            return None
        if not any(self.names.word_count(w) for w in keys):
            return None
        if not capitalised and not any(len(w) >= 3 and not self.names.word_count(w) for w in keys):
            # lower-case runs of name words only ("li wei") must match exactly
            return None
        pool = {k for w in keys for k in self.names.keys_with_word(w) if len(k.split()) == len(keys)}
        if not pool:
            return None
        best_key = self.names.likeliest(key, pool, FUZZY_NAME_MIN)
        if best_key is None:
            return None
        people = tuple(self.names.by_key[best_key])
        return NameMatch(" ".join(words), people, exact=False)

    def _unwritten_surname(self, tokens: list[Token], i: int) -> bool:
        """Whether the word at `i`, after a given name, is a surname the records lack ("geoffrey
        hinton"): nearly no paper writes it, and the two stand where a person does, not inside a
        topic ("on coral reef bleaching": after "on", and before more of the topic)."""
        t = tokens[i]
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        return (
            t.word.isalpha()
            and self.text_frequency(fold(t.word)) <= UNKNOWN_SURNAME_PAPERS
            and not (i >= 2 and tokens[i - 2].word.lower() in _ABOUT | _TOPIC_CUES)
            and (
                after is None
                or after.breaks
                # "coral reef papers": before a word for papers, two words typed so are a topic.
                or (after.word.lower() in _FUNCTION_WORDS and after.word.lower() not in _PAPER_NOUNS)
            )
        )

    def _given_name(self, token: Token) -> bool:
        """Whether a word is a given name (NameIndex.given_name) and no ordinary word."""
        word = fold(token.word)
        if word in _FUNCTION_WORDS or len(word) < 2 or self._ordinary(word):
            return False
        return self.names.given_name(word)

    def _name_like(self, name: str) -> bool:
        """Whether every word of a name is a name word or one the papers next to never use."""
        return all(
            not self._ordinary(w) and (self.names.word_count(w) > 0 or self._name_only(w))
            for w in (fold(x) for x in name.split())
        )

    def _common(self, word: str) -> bool:
        """An ordinary word that a good share of papers use ("findings", "science")."""
        return self._ordinary(word) and self.text_frequency(word) >= COMMON_WORD_SHARE * self.papers

    def _subject_words(self, run: list[Token]) -> bool:
        """Capitalised words of which one is ordinary text and none is anyone's name in the records:
        a paper's subject ("Neural Interferometry"), not someone the records lack."""
        words = [fold(t.word) for t in run]
        return any(self._ordinary(w) for w in words) and not any(self.names.word_count(w) for w in words)

    def _name_only(self, word: str) -> bool:
        """A word that is a name and next to never anything else: the papers' text uses it at most
        once in SURNAME_TEXT_SHARE papers."""
        return (
            len(word) >= 4
            and word not in _STOPWORDS  # the index drops these: a count of 0 says nothing
            and self.papers > 0
            and self._as_text(word) <= SURNAME_TEXT_SHARE * self.papers
            and not self._ordinary(word)
        )

    def _rare_in_text(self, word: str) -> bool:
        """A word few papers use ("stanford", "google"; not "scale" of "at scale" or Scale AI)."""
        if self.papers <= 0:
            return False
        few = UNCASED_INSTITUTION_SHARE * self.papers
        if self.text_frequency(word) <= few:
            return True
        # A place's name that papers write only by its stem ("grammarly", "grammar").
        return not self.names.word_count(word) and self._as_text(word) <= few

    def _ordinary(self, word: str) -> bool:
        """A word papers use as a word far more than people use it as a name ("long", "can")."""
        if word in _FUNCTION_WORDS:
            return True
        return self._as_text(word) > ORDINARY_RATIO * max(self.names.word_count(word), 1)

    def _as_text(self, word: str) -> int:
        """How many papers use a word, by its stem; none for a word of a person's or a place's name
        that papers never write as itself ("navigli" shares the stem "navig" with "navigating",
        "grammarly" the stem "grammar" with "grammars": both are written, the names never)."""
        as_text = self.text_frequency(word)
        if not as_text:
            return as_text
        if self.names.word_count(word):
            return as_text if self._is_written(word) else 0
        # A place's word: only one few papers write for each place name that has it is looked at,
        # and whether papers write it is asked before counting the place's people (a pass over the
        # directory); a word papers write far more, by its stem, than papers print the place
        # ("modeling" of "… Modeling Lab") is a word however few of its papers are looked at.
        names = len(self.institutions.by_word.get(word, ())) if self.institutions.distinctive(word) else 0
        if not names or as_text > PLACE_TEXT_RATIO * PLACE_NAME_PRINTINGS * names or self._is_written(word):
            return as_text
        affiliated = self.affiliated(word)
        return as_text if not affiliated or as_text > PLACE_TEXT_RATIO * affiliated else 0

    def _is_written(self, word: str) -> bool:
        """Whether papers write this very word (a few of its stem's papers read, remembered)."""
        if word not in self._written:
            if len(self._written) > WORDS_KEPT:
                self._written.clear()
            self._written[word] = self.written(word)
        return self._written[word]

    def _unknown_names(self, tokens: list[Token]) -> list[str]:
        """Runs of 2-4 capitalised words that are not ordinary text: names the store does not hold."""
        out: list[str] = []
        run: list[Token] = []
        for t in [*tokens, None]:
            ok = (
                t is not None
                and t.capitalised
                and t.word.lower() not in _FUNCTION_WORDS
                and (not t.word.isupper() or (len(t.word) == 1 and bool(run)))  # "Emily M. Bender"
                and (not run or not t.breaks)
            )
            if ok and t is not None:
                run.append(t)
                continue
            if (
                2 <= len(run) <= 4
                and not all(self._ordinary(fold(x.word)) for x in run)
                and not self._subject_words(run)
            ):
                out.append(" ".join(x.word for x in run))
            run = [t] if t is not None and t.capitalised and t.word.lower() not in _FUNCTION_WORDS else []
        # Typed in lower case, a given name and a name word after it are a name ("emily bender"),
        # as is a given name and a word nearly no paper writes ("geoffrey hinton", "yann lecun").
        for i, t in enumerate(tokens[:-1]):
            nxt = tokens[i + 1]
            if (
                not t.capitalised
                and not nxt.capitalised
                and not nxt.breaks
                and self._given_name(t)
                and (self.names.word_count(fold(nxt.word)) > 0 or self._unwritten_surname(tokens, i + 1))
                and not self._ordinary(fold(nxt.word))
                and nxt.word.lower() not in _FUNCTION_WORDS
            ):
                out.append(f"{t.word} {nxt.word}")
        # Typed in lower case, a name stands where a person does ("papers by john smithee"): two or
        # three words after "by"/"with" that are no ordinary text, one of them a name word.
        for i, t in enumerate(tokens[:-1]):
            if t.word.lower() not in {"by", "with"}:
                continue
            typed: list[Token] = []
            for x in tokens[i + 1 : i + 4]:
                if x.capitalised or x.breaks or self._ordinary(fold(x.word)) or not x.word.isalpha():
                    break
                typed.append(x)
            if len(typed) >= 2 and any(self.names.word_count(fold(x.word)) for x in typed):
                out.append(" ".join(x.word for x in typed))
        return list(dict.fromkeys(out))  # one name found by two of the rules is one name

    # --- venues and institutions --------------------------------------------------------------

    def _take_labels(self, tokens: list[Token], links: Links, spans: list[tuple[int, int, str]]) -> None:
        folded = [fold(t.word) for t in tokens]
        found = find_labels(
            links.text,
            [(t.text, t.start, t.end) for t in tokens],
            self.labels,
            lambda i: self._venue_at(tokens, folded, i)[0] is not None,
        )
        for span in found:
            if any(s <= span.start < e for s, e, _ in spans):
                continue  # inside a title or a name
            links.labels += [x for x in span.labels if x not in links.labels]
            spans.append((span.start, span.end, ""))

    def _take_venue(self, tokens: list[Token], links: Links, spans: list[tuple[int, int, str]]) -> None:
        folded = [fold(t.word) for t in tokens]
        i = 0
        last_out = -1  # where the last venue left out ended: a list goes on leaving out
        while i < len(tokens):
            venue, size = self._venue_at(tokens, folded, i)
            if venue is None:
                i += 1
                continue
            start, end = tokens[i].start, tokens[i + size - 1].end
            cue = _LEAVES_OUT.search(links.text, 0, start)
            if cue or (last_out >= 0 and _LIST_GAP.fullmatch(links.text, last_out, start)):
                if venue not in links.venues_out:
                    links.venues_out.append(venue)
                start, last_out = (cue.start() if cue else start), end
            elif venue not in links.venues:
                links.venues.append(venue)
            spans.append((start, end, "⟨V⟩"))
            i += size
        links.venue = links.venues[0] if links.venues else None

    def _venue_at(self, tokens: list[Token], folded: list[str], i: int) -> tuple[str | None, int]:
        """The venue family named at token `i` and how many tokens name it."""
        for size in range(MAX_ALIAS_WORDS, 1, -1):  # another name of several words ("the web conference")
            family = VENUE_ALIASES.get(" ".join(folded[i : i + size]))
            if i + size <= len(tokens) and family and fold(family) in self.venues:
                return self.venues[fold(family)], size
        t, word = tokens[i], folded[i]
        venue = self.venues.get(word) or self.venues.get(fold(VENUE_ALIASES.get(word, "")))
        # A venue that is also an ordinary word must be written as the venue writes it; an
        # acronym that papers mention now and then ("acl", "colm") is no ordinary word.
        if venue is None or (t.word != venue and t.word != venue.upper() and self._common(word)):
            return None, 1
        return venue, 1

    def _acronym_and_place(self, tokens: list[Token], i: int) -> tuple[int, int, int, str] | None:
        """An acronym and the words after it that say which of its places ("IIT Patna", "IIT
        Bombay"), when an affiliation spells them out; None otherwise."""
        t = tokens[i]
        if sum(c.isupper() for c in t.word) < 2 and t.word.lower() not in self.institutions.by_acronym:
            return None
        for k in (2, 1):
            run = tokens[i + 1 : i + 1 + k]
            if len(run) < k or any(r.breaks for r in run):
                continue
            words = [normalise_institution(r.word) for r in run]
            if any(not w or w in _FUNCTION_WORDS or " " in w for w in words):
                continue
            if self.institutions.spelt_with(t.word.lower(), words):
                return (-1 - k, i, i + 1 + k, f"{t.word.upper()} {_as_name(' '.join(r.word for r in run))}")
        return None

    def _take_institution(self, tokens: list[Token], links: Links, spans: list[tuple[int, int, str]]) -> None:
        # Only a capitalised word that is not a question word, or a word after "at"/"from", can
        # start an institution; without one there is nothing to look up.
        # Whether each word names a place however typed: judged once per word, asked for each run.
        place_words: dict[int, bool] = {}

        def place_word(i: int) -> bool:
            if i not in place_words:
                place_words[i] = self._place_word(tokens, i)
            return place_words[i]

        if not any(
            (t.capitalised and t.word.lower() not in _FUNCTION_WORDS)
            or (
                i > 0
                and tokens[i - 1].word.lower() in _INSTITUTION_CUES
                and t.word.lower() not in _FUNCTION_WORDS
            )
            or t.word.lower() in _MEMBERS
            or (i > 0 and t.word.lower() in _PLACE_NOUNS)
            or self._acronym_before_papers(tokens, i)
            or place_word(i)
            for i, t in enumerate(tokens)
        ):
            return
        best: tuple[int, int, int, str] | None = None  # (-length, start index, end index, mention)
        # Typed all in lower case, capitals say nothing: "at stanford" is as good as "at Stanford".
        uncased = not any(t.word[:1].isupper() for t in tokens)
        for i in range(len(tokens)):
            cue = i > 0 and tokens[i - 1].word.lower() in _INSTITUTION_CUES
            # "what about X?", "how about X?" ask about X, not papers about it.
            what_about = i > 1 and [t.word.lower() for t in tokens[i - 2 : i]] in (
                ["what", "about"],
                ["how", "about"],
            )
            # Only "at NAIST", "from IISc" read an unknown acronym as an institution's.
            strong_cue = i > 0 and tokens[i - 1].word.lower() in {"at", "from"}
            for j in range(min(len(tokens), i + MAX_INSTITUTION_TOKENS), i, -1):
                run = tokens[i:j]
                if run[0].word.lower() in _ACRONYM_SKIP - {"the"} or run[-1].word.lower() in _ACRONYM_SKIP:
                    continue  # a name neither starts nor ends with "at", "of", "della" ("the" may lead)
                # "University of California, Berkeley" crosses its comma; "dialogue, Stanford" does not.
                if any(t.breaks for t in run[1:]) and not all(
                    t.capitalised or t.word.lower() in _ACRONYM_SKIP for t in run
                ):
                    continue
                if len(run) == 1 and self._modifier(tokens, i):
                    continue  # "uses RL from AI feedback to train an LM …": a term, not a place
                if (
                    len(run) == 1
                    and i > 1
                    and tokens[i - 1].word.lower() in {"a", "an"}
                    and tokens[i - 2].word.lower() in {"from", "by"}
                    and i + 1 < len(tokens)
                    and tokens[i + 1].word.lower() in _MEMBERS
                    and normalise_institution(run[0].word) not in self.institutions.phrases
                ):
                    # "a paper from a Chinese group", "a Polish lab": a word of places' names ("The
                    # Chinese University of Hong Kong"), said of a country; "a Google team" is Google's.
                    continue
                # A possessive inside a name is part of it ("King's College"); at its end it is not
                # ("Stanford's papers").
                said = " ".join([t.text for t in run[:-1]] + [run[-1].word])
                words = normalise_institution(said).split()
                if not words or not any(self.institutions.distinctive(w) for w in words):
                    continue
                # "Google researchers", "tsinghua university people": named as where people are.
                members = j < len(tokens) and tokens[j].word.lower() in _MEMBERS
                placed = cue or members
                # "what about brown university?": a name with a word for a place after its first says
                # it is one, however typed ("kings college london").
                named_place = (
                    len(run) > 1
                    and any(t.word.lower() in _PLACE_NOUNS for t in run[1:])
                    and not (
                        i > 0 and tokens[i - 1].word.lower() in _ABOUT | {"the", "a", "an"} and not what_about
                    )
                )
                if not (placed or named_place or any(t.capitalised for t in run) or place_word(i)):
                    continue
                if (
                    not (strong_cue or members or named_place)
                    and not any(t.capitalised for t in run)
                    and all(self._common(w) for w in words)
                ):
                    continue  # "detection with deep learning": words papers write, not a place's name
                if (
                    len(words) == 1
                    and not strong_cue
                    and self.names.word_count(words[0]) > self.affiliated(words[0])
                ):
                    continue  # "Hang Ji": a name word more people carry than work at a place so named
                if (
                    len(words) == 1
                    and self._ordinary(words[0])
                    # An ordinary word names a place after "at"/"from" or before "researchers", not
                    # after "with", "in" or "of" ("monitoring with ML": no "ML Collective").
                    and not (
                        (strong_cue or members)
                        and (run[0].capitalised or (uncased and self._rare_in_text(words[0])))
                    )
                    and not (run[0].capitalised and self._papers_of_place(tokens, j, words[0]))
                    and not place_word(i)
                ):
                    continue
                if self.institutions.find(words):
                    if best is None or (-len(words), i) < (best[0], best[1]):
                        # "ntu's": an acronym typed in lower case is still one ("NTU", not "Ntu").
                        acronym_typed = len(words) == 1 and (
                            words[0] in self.institutions.by_acronym or words[0] in self.institutions.declared
                        )
                        # "allen institute for ai": as the records print the name, when one does.
                        printed = self.institutions.phrases.get(normalise_institution(said))
                        shown = printed if printed and said == said.lower() else _as_name(said)
                        best = (-len(words), i, j, said.upper() if acronym_typed else shown)
                    break
            # An acronym in capitals: "CMU", "MIT", "HKUST", "IISc".
            t = tokens[i]
            acronym = t.word.lower()
            capitals = sum(c.isupper() for c in t.word)
            # "caltech people …": a place named as where people are.
            before_members = i + 1 < len(tokens) and tokens[i + 1].word.lower() in _MEMBERS
            known_before_papers = self._acronym_before_papers(tokens, i)
            if (
                best is None
                and (
                    capitals >= 2
                    or (
                        ((uncased and cue) or before_members or known_before_papers)
                        and self._rare_in_text(acronym)
                    )
                )
                and 2 <= len(t.word) <= 7
                and acronym not in self.venues
                and acronym not in _FUNCTION_WORDS
                and acronym not in _STOPWORDS
            ):
                if self._modifier(tokens, i):
                    pass  # "RL from AI feedback", "graphs built from DTW similarity": a term's word
                elif acronym in self.institutions.by_acronym:
                    # "AI", "ML": acronyms the papers use as words, or of two letters ("CD index"),
                    # name a place only after "at"/"from"; so does one more papers use than
                    # researchers work at the place it spells ("who wrote GLM?": a model, not a lab).
                    if strong_cue or not (
                        self._common(acronym)
                        or len(acronym) <= 2
                        or self.text_frequency(acronym) > self.affiliated(t.word)
                    ):
                        # Typed in lower case ("hkust papers"), named as the acronym it is.
                        typed = t.word.upper() if t.word.islower() else t.word
                        best = (-1, i, i + 1, self._dominant(acronym) or typed)
                elif (strong_cue or before_members or _SHORT_FORM.fullmatch(t.word)) and (
                    name := self.institutions.expand(acronym)
                ) is not None:
                    best = (-1, i, i + 1, name)
                elif strong_cue and t.word.isupper() and not self._common(acronym):
                    # "someone from PKU": a place the records cannot name, asked about as one (no one
                    # is there), not a topic word that would name people anywhere.
                    best = (-1, i, i + 1, t.word)
        if best is not None and best[2] - best[1] == 1:
            # "IIT Patna": an acronym, and the place after it that says which of its places; the
            # acronym alone ("IIT") or the place alone ("Patna") may have been taken.
            for at in (best[1], best[1] - 1):
                if at >= 0 and (wider := self._acronym_and_place(tokens, at)) and wider[2] >= best[2]:
                    best = wider
                    break
        if best is not None and best[2] - best[1] == 1 and _SHORT_FORM.fullmatch(tokens[best[1]].word):
            # "UMass": a short form some affiliations print, but most spell out ("University of
            # Massachusetts Amherst"): the spelt-out name, which the short form's phrase is not in.
            t = tokens[best[1]]
            spelt = self.institutions.expansion(t.word)
            if spelt and spelt[1] > len(self.institutions.find([t.word.lower()])):
                best = (best[0], best[1], best[2], spelt[0])
        if (
            best is not None
            and best[2] - best[1] == 1
            and best[2] < len(tokens)
            and not tokens[best[2]].breaks
        ):
            # "UMass Amherst", "HKUST Guangzhou": the short form and a word that says which campus,
            # when affiliations print the spelt-out name with it.
            longer = [*normalise_institution(best[3]).split(), normalise_institution(tokens[best[2]].word)]
            if longer[-1] and not self._ordinary(longer[-1]) and self.institutions.find(longer):
                printed = self.institutions.phrases.get(" ".join(longer))
                best = (best[0] - 1, best[1], best[2] + 1, printed or _as_name(" ".join(longer)))
        if best is not None:
            _, i, j, mention = best
            links.institution = mention
            links.institution_said = " ".join(t.word for t in tokens[i:j])
            links.placed = _placing(tokens, i, j)
            spans.append((tokens[i].start, tokens[j - 1].end, "⟨I⟩"))


# Words that ask, connect or fill; never part of a name.
_FUNCTION_WORDS = words(
    """
    a an the and or of in on at to for with by from about into over under is are was were be been am
    do does did has have had who whom whose what which when where why how this that these those his
    her their its my our your me you i we they he she it papers paper work works worked working
    published publish publishes wrote written write writes coauthors coauthor collaborators
    collaborator collaborate collaborates collaborated together both common shared most cited many
    much count number list show tell find give any some all please pls thanks thx hey hi hello bot
    quick q question yes no not ever anything anyone someone people researcher researchers author
    authors venue venues year years conference top best new recent latest
    """
)
_INSTITUTION_CUES = frozenset(["at", "from", "in", "of", "with"])
#: Words for a place that, after a name's first word, say the name is a place's ("brown university").
_PLACE_NOUNS = words("university universities institute institutes college laboratory laboratories academy")
#: Words after an institution's name that say people are there ("Google researchers").
_MEMBERS = words(
    """
    researchers researcher people ppl folks folk team teams lab labs group groups scientists authors
    students faculty profs professors members staff engineers guys crew
    """
)
#: Words that follow a place's name in a question's frame, not a noun its acronym would modify.
_FRAME_AFTER_PLACE = words(
    "lately recently now since until during before after last next so too also etc vs research"
)
#: Words a question must have for a capitalised word followed by a noun to be read as that noun's
#: modifier rather than a place: a paper's description ("… uses RL from AI feedback to train …").
MODIFIER_CONTEXT_WORDS = 12
#: Words that make what follows what papers are about, not where they were written.
_ABOUT = words("on about regarding concerning re like using involving")
#: ...and words a topic follows ("forecasts of coral reef", "research in coral reef").
_TOPIC_CUES = words("in of for into towards")
#: Words just before a venue that leave it out; `search(text, 0, start)` finds them ending at the venue.
_LEAVES_OUT = re.compile(
    r"(?:\bnot|\b(?:are|is|were|was|do|does|did)n['’]?t|\boutside(?:\s+of)?|\bexcept(?:\s+for)?|\bexcluding|\bbesides|\bother\s+than|\bapart\s+from|"
    r"\baside\s+from|\bbeyond|\bwithout|\bw/o)(?:\s+(?:at|in|from|counting|the|published|appear(?:ing)?))*\s*$",
    re.I,
)
#: What may stand between two venues left out together ("except ACL and NAACL", "not ACL, NAACL or COLING").
_LIST_GAP = re.compile(
    r"\s*(?:,|/|&|\band\b|\bor\b|\bnor\b)(?:\s*(?:,|\band\b|\bor\b|\bnor\b|\bat\b|\bin\b))*\s*", re.I
)
#: Words for papers, after which an institution's name says where they were written.
_PAPER_WORDS = words("papers paper publications articles work works pubs output")
#: Words after a capitalised word that leave it a place's name, not a term modifying them (`_modifier`).
_NOT_MODIFIED = _FUNCTION_WORDS | _MEMBERS | _PAPER_WORDS | _PLACE_NOUNS | _FRAME_AFTER_PLACE
#: ...of which these are nouns for the papers themselves, not for someone's work.
_PAPER_NOUNS = _PAPER_WORDS - words("work works output")
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
_POSSESSIVE = re.compile(r"['’]s?$")


def _placing(tokens: list[Token], i: int, j: int) -> str:
    """The word that puts people or papers at the institution named by tokens[i:j], or ""."""
    before = tokens[i - 1].word.lower() if i > 0 else ""
    if before in {"at", "from"}:
        return before
    after = tokens[j].word.lower() if j < len(tokens) else ""
    if after in _MEMBERS | _PAPER_WORDS:
        return after
    return "'s" if _POSSESSIVE.search(tokens[j - 1].text) else ""


def _as_name(text: str) -> str:
    """A place typed in lower case written as a name ("university of edinburgh" -> "University of
    Edinburgh"), so answers do not repeat the typing."""
    if text != text.lower():
        return text
    return " ".join(w if w in _ACRONYM_SKIP else w.capitalize() for w in text.split())


def _since(m: re.Match[str]) -> tuple[int | None, int | None]:
    year = int(next(g for g in m.groups() if g))
    return (year + 1 if m.group(0).lower().startswith("after") else year, None)


def _before(m: re.Match[str]) -> tuple[int | None, int | None]:
    year = int(m.group(1))
    inclusive = re.match(r"(?:up\s+to|through|until|till)", m.group(0), re.I)
    return (None, year if inclusive else year - 1)


def _number(text: str) -> int:
    words = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10}
    return words.get(text.lower()) or int(text)


def _inside(token: Token, spans: list[tuple[int, int, str]]) -> bool:
    return any(s <= token.start < e for s, e, _ in spans)


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    out = text
    for start, end, placeholder in sorted(spans, key=lambda s: -s[0]):
        out = out[:start] + (f" {placeholder} " if placeholder else " ") + out[end:]
    return " ".join(out.split())
