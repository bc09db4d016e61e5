"""The offline reader: a question's linked entities plus its remaining words -> a typed Query.

Entities are linked first (linking.py); what is asked is then read from cue words in what is left,
so greetings, politeness, case and word order never change the answer. A reading is "unsure" when
no cue decided the operation; the optional LLM planner is consulted only then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from scholarbot.answers.chat import normalise, plain
from scholarbot.answers.linking import Links, abbreviates, place_initials, words
from scholarbot.answers.query import (
    MAX_LIMIT,
    PERSON_OPS,
    TITLE_SMALL_WORDS,
    CountOf,
    Op,
    Query,
    Role,
    Sort,
    described,
    titled,
)
from scholarbot.answers.spelling import is_english, one_edit
from scholarbot.answers.topics import compared

#: Questions longer than this are cut before reading; the answer says so.
MAX_QUESTION_CHARS = 1000
#: A capitalised run the store does not know is asked about as a person only when the rest of the
#: question is at most this many topic words.
UNKNOWN_NAME_MAX_TOPIC = 4
#: A word this long one edit from a cue word is that cue word mistyped ("usualy"); shorter ones
#: have too many neighbours.
CUE_TYPO_LETTERS = 5
#: People listed when a question asks for "top" or "most" without a number.
DEFAULT_TOP = 5


@dataclass(frozen=True)
class Reading:
    """A query and whether the reader is confident it understood the question."""

    query: Query
    sure: bool
    links: Links
    #: The question leans on an earlier turn ("what did they publish?", "and on dialogue?").
    refers_back: bool = False
    #: What was asked before falling back to a search: it may lack the people a follow-up supplies.
    asked: Query | None = None
    #: Whether a cue decided the operation of `asked`.
    asked_sure: bool = False
    #: The question starts as a fragment of one ("and on dialogue?", "only in 2024?").
    fragment: bool = False
    #: The question asks only how many ("how many is that?", "and how many in 2023?"): it counts
    #: what the turn before listed.
    count_back: bool = False
    #: The place it names says which of several namesakes is meant ("Jing Ma, the one at UVA", "the
    #: sun yat-sen one"), not where their papers or coauthors were written.
    picks_namesake: bool = False


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


# Chit-chat and politeness: removed before anything is read, so they never change the answer.
_FILLER = _rx(
    r"\b(?:hey|hi|hello|yo|hiya|greetings|dear|ok(?:ay)?|so|um+|uh+|hmm+|(?<!\bas\s)well(?!\s+as\b)|btw|lol|"
    r"(?:(?:on|in|per|by|according\s+to)\s+)?(?:google|semantic)\s+scholar(?:'s)?|in\s+terms\s+of|according\s+to|"
    r"for\s+(?:my|our|a)\s+(?:records|notes|reference|thesis|survey|report|slides|talk|reading\s+group)|"
    r"(?:hey\s+)?(?:scholar)?bot|(?:a\s+)?quick\s+(?:q|question)|pls|plz|please|thx|thanks|"
    r"thank\s+you|ty|cheers|sorry|kindly|just|actually|really|basically|"
    r"(?:can|could|would|will)\s+you(?:\s+please)?(?:\s+(?:tell|show|give|list|find|let)\s+(?:me|us))?|"
    r"do\s+you\s+know|i\s+(?:want|wanna|would\s+like|'d\s+like|need)\s+to\s+(?:know|see|find)|"
    r"i\s+wonder(?:ed)?|i'm\s+curious|curious|tell\s+me|show\s+me|give\s+me|let\s+me\s+know|"
    r"any\s+idea|for\s+me|in\s+here|tl;?\s*dr(?:\s+(?:of|on|for))?|eli5|"
    r"(?:to\s+me\s+)?like\s+(?:i'?m|i\s+am)\s+(?:5|five|a\s+(?:kid|child))|in\s+(?:simple|plain)\s+(?:terms|english|words)|"
    r"keep\s+it\s+simple|"
    r"(?:(?:does|do)\s+)?(?:anyone|anybody|any\s+of\s+you|you\s+guys|y'?all)\s+(?:know|remember|recall)(?:\s+(?:of|about))?|overall|of\s+all\s+times?|all\s+time|"
    r"(?:(?:does|do)\s+)?(?:anyone|anybody|any\s+of\s+you|you\s+guys|y'?all)\s+(?:have|got|has)\s+(?:the|a)\s+"
    r"(?:link|name|title|pdf|url|ref(?:erence)?)|"
    r"(?:in|from|of|across)\s+(?:the|your|this|ur)\s+(?:whole\s+|entire\s+|full\s+)?"
    r"(?:records|database|db|store|library|corpus|dataset|data\s*set|data|collection|index)\b(?!\s+\w+ing\b)|"
    r"(?:to\s+)?read(?:ing)?\s+(?:on|about)|"
    r"stuff|things|some|the\s+list\s+of|a\s+list\s+of|lmao|haha|tbh|idk|imo|fyi|rn|atm|"
    r"(?:been\s+)?up\s+to|pull\s+up|look\s+up|altogether|in\s+total|all\s+together|"
    r"the\s+whole\s+thing|(?:can|could)\s+(?:you|i)\s+(?:get|have|see|pull)|"
    r"(?:recommend|suggest)(?:\s+(?:me|us))?(?:\s+(?:a|some))?(?:\s+(?:good|great|nice|interesting))?)\b"
)
# "total" as a noun ("what's her total?", "the total for 2023", "total number of") or of papers
# ("total nlp papers"), not as an adjective inside a description ("a budget on total item cost").
_TOTAL = (
    r"\btotal\b(?=\s*(?:$|[?!.,;:)]|(?:of|for|so|number|count|now|in|by|at|from|since)\b|"
    r"(?:[\w-]+\s+){0,2}(?:papers?|pubs?|publications?|works|articles?|output|citations?|cites)\b))"
)
_COUNT = _rx(
    rf"\bhow\s+many\b|\bnumber\s+of\b|\bthe\s+number\b|(?<!citation\s)\bcount\b|\bhow\s+much\b|{_TOTAL}|\bhow\s+(?:productive|prolific|active)\b|"
    r"#\s*of\b|\bno\.\s*of\b|\bnum\s+of\b|\btally\b|\ba\s+number\b|=\s*\?+\s*$"
)
_COLLAB = _rx(
    r"\bcollaborat\w*|\bco-?authors?\b|\bco-?authored\b|\bcoauthor\w*|\bco-authorship\b|\bco-?wr\w+|"
    r"\bwork(?:s|ed|ing)?\s+(?:together\s+)?with\b|\bwr(?:ote|itten|ites?|iting)\s+(?:\w+\s+){0,2}with\b|"
    r"\bpublish\w*\s+(?:\w+\s+){0,2}with\b|\bpartner\w*|\bcolleagues?\b|\bteam(?:ed|s)?\s+up\b|"
    r"\bworked\s+together\b|\bpapers?\s+with\b|\bwith\s+whom\b|\bco-?workers?\b|\bnetwork\b|\bcollabs?\b"
)
_PAPERS = _rx(
    r"\bpapers?\b|\bpublications?\b|\barticles?\b|\bwork\b|\bworks\b|\bpublish\w*|\bwr(?:ote|itten|ite)\b|"
    r"\boutput\b|\bpubs?\b|\bresearch\b|\bbibliography\b"
)
_TOGETHER = _rx(
    r"\btogether\b|\bjoint(?:ly)?\b|\bshared?\b|\bco-?authored\s+by\b|\bco-?written\b|\bboth\b|"
    r"\boverlap\w*|\bconnect\w*|\blinked\b|\bin\s+common\b|\bteamed\s+up\b|\bco-?wr(?:ote|itten)\b|"
    r"\b(?:same|common|shared?)\s+(?:paper|papers|author\s+lists?|bylines?)\b|\bbylines?\b|\bauthor\s+lists?\b"
)
_COMMON = _rx(
    r"\bcommon\b|\bshared?\b|\bmutual\b|\bin\s+common\b|\bboth\b|\boverlap\w*|\bintersect\w*|\bas\s+well\s+as\b|"
    r"\band\s+also\b|\bjoint\s+(?:co-?authors?|collaborators?|colleagues)\b|\beach\b"
)
_YESNO = _rx(r"^\s*(?:has|have|had|did|does|do|is|are|was|were|can|could|ever)\b")
# A yes/no about two people need not open the sentence: "A and B: have they published together?",
# "A and B - ever on the same paper?", "A x B, coauthors or not?".
_YESNO_PAIR = _rx(
    r"^\s*(?:has|have|had|did|does|do|is|are|was|were|can|could|ever)\b|"
    r"[:,;\-–—]\s*(?:has|have|had|did|does|do|is|are|was|were)\b|"
    r"\bever\b|\bor\s+not\b|\byes\s+or\s+no\b|\btrue\s+or\s+false\b|\bany\s+record\b|\bon\s+record\b|"
    r"\b(?:is\s+(?:that|this|it)|am\s+i)\s+(?:right|true|correct)\b|\bright\s*\?\s*$|\b(?:is|are)\s+there\b"
)
_PAPER_NOUNS = _rx(r"\bpapers?\b|\bpublications?\b|\barticles?\b|\bworks?\b|\bpubs?\b")
_ASKS_WHO = _rx(r"\bwho(?:'s)?\b|\bwhom\b")
_WHICH_VENUE = _rx(r"\b(?:which|what)\s+(?:venues?|conferences?|journals?)\b")
# "how many articles did X co-author?" counts papers, whatever verb follows.
_HOW_MANY_PAPERS = _rx(r"\bhow\s+many\s+(?:\w+\s+)?(?:papers|articles|publications|works|pubs)\b")
_WH = _rx(r"\b(?:who|whom|whose|what|which|when|where|why|how|list|show|give|find|name|any)\b")
# "who's worked with A and B?": the people who worked with both.
_WHO_ASKED = _rx(
    r"\bwho\b|\bwhom\b|\bwho's\b|\bpeople\b|\bco-?authors?\b|\bcollaborators?\b|\bcolleagues?\b|"
    r"\bresearchers?\b|\bnames?\b|\bwhose\b"
)
_COMPARE = _rx(
    r"\bcompar\w*|\bversus\b|\bvs\.?(?!\w)|\bmore\s+(?:papers|publications|cited|citations|productive)\b|"
    r"\bfewer\b|\bwho\s+has\s+more\b|\bwho\s+is\s+more\b|\bdifferen\w+\b|\bdiffer\b|"
    r"\b(?:publish(?:ed|es)?|wr(?:ote|itten|ites?)|authored)\s+more\b|\bmore\s+(?:prolific|active|productive)\b"
)
#: Citations themselves asked about ("how many citations", "times cited"), not a ranking by them.
_CITATIONS = _rx(r"\bcitations?\b|\bcited\b|\bcites\b|\bcitation\s+counts?\b")
# "top" ranks ("top 5", "the top papers"), but not "on top of", "top-down", "top-k sampling".
_TOP = r"(?<!\bon\s)\btop(?:[- ]?\d+)?\b(?!-[a-z])(?!\s+of\b)"
_CITED = _rx(
    rf"\bmost[- ]cited\b|\bhighly[- ]cited\b|\bhighest[- ]cited\b|\bmost\s+(?:influential|impactful|popular|"
    rf"famous|known|referenced|important|cited)\b|\bbest[- ]known\b|{_TOP}|\bcitations?\b|\bcited\b|"
    r"\bbest\s+papers?\b|\bbiggest\s+hits?\b|\bclassic\b|\bseminal\b|\bcites\b|"
    r"\b(?:most|best|well|highly)[- ]referenced\b|\b(?:best|well)[- ]cited\b"
)
# "where do people publish most on X?" asks for a venue, though it names people.
_WHERE_PUBLISHED = (
    r"\bwhere\s+(?:does|did|do|has|have|is|are|were)\b.*\bpublish|"
    r"\bwhere\b.*\b(?:appear\w*|submit\w*|send\w*|end\s+up|get\s+published|come\s+out)\b|\bpublish\w*\b.*\bwhere\b"
)
_VENUE_Q = _rx(
    rf"\bvenues?\b|\bconferences?\b|\bjournals?\b|\boutlets?\b|{_WHERE_PUBLISHED}|"
    r"\b(?:primary|main|usual|favou?rite|go-to|regular)\s+(?:publication\s+)?(?:venue|conference|outlet)\b|"
    r"\bpublish\w*\s+(?:the\s+)?most\s+(?:often\s+)?(?:at|in)\b"
)
# Several venues named with one of these asks which of them ("more at ACL or NAACL?").
_WHICH_MORE = _rx(
    r"\bmore\b|\bmost\b|\bfewer\b|\bless\b|\bbest\b|\btop\b|\bbiggest\b|\bbusiest\b|\bpeak\b|\bcompar\w*|\bvs\.?(?!\w)|\bversus\b|\bprefer\w*|"
    r"\bmostly\b|\bmainly\b|\busually\b|\boften\w*|\bwhich\s+(?:one|of\s+(?:them|the|these|those))\b"
)
_YEAR_Q = _rx(
    r"\b(?:which|what)\s+(?:⟨V⟩\s+)?year\b|\bwhen\b.*\bmost\b|\bmost\s+(?:productive|active|prolific)\b|\bpeak\b|"
    r"\bbusiest\b|\bbest\s+year\b"
)
# With no one named: which venue or year has the most papers (on a topic), and which of two topics
# has more ("is there more work on A or B at COLM?", "A vs B").
_TOP_VENUE = _rx(r"\b(?:top|biggest|main|leading)\s+(?:venues?|conferences?|journals?)\b")
_PLACE_NOUNS = (
    r"(?:institutions?|institutes?|universit(?:y|ies)|unis?|colleges?|labs?|"
    r"companies|company|organi[sz]ations?|orgs?|schools?|places|affiliations?|firms?)"
)
# "which industry labs …", "top academic labs …": the kind of place said before its noun.
_PLACE_KIND_WORDS = r"(?:(?:industry|industrial|corporate|tech|academic|research)\s+)?"
_WHICH_PLACE = _rx(rf"\b(?:which|what)\s+{_PLACE_KIND_WORDS}{_PLACE_NOUNS}\b")
_WHICH_OF = _rx(r"\bwhich\s+(?:one|of\s+(?:them|the\s+two|these|those))\b")
_PLURAL_PAPERS = _rx(r"\b(?:papers|publications|articles|works|pubs)\b")
_PLACE_WORKS = _rx(
    r"^\s*(?:(?:or|and)\s+\w+\s+)?(?:(?:are|is|have|has|do|does)\s+)?(?:\w+\s+)?(?:work\w*|publish\w*|research\w*|do|does|did|doing|write|"
    r"wrote|writing|focus\w*|active|big|strong|involved|show\s+up)\b"
)
_PARTNER_PLACES = _rx(
    rf"{_WHICH_PLACE.pattern}.*\b(?:collaborat\w*|work(?:s|ed)?\s+with|"
    r"partner\w*|co-?author\w*)|"
    r"\bwhere\s+(?:are|were|do|did)\s+(?:⟨P\d⟩'?s?|his|her|their)\s+(?:co-?authors|collaborators)\b|"
    rf"(?:co-?authors|collaborators)(?:'s|')?\s+(?:{_PLACE_NOUNS}|affiliations)\b"
)
_TOP_PLACES = _rx(rf"\b(?:top|leading|biggest|best)\s+{_PLACE_KIND_WORDS}{_PLACE_NOUNS}\b")
_UNIVERSITY_ASKED = _rx(r"\b(?:universit(?:y|ies)|unis?|colleges?|schools?|academic)\b")
_COMPANY_ASKED = _rx(r"\b(?:compan(?:y|ies)|industry|industrial|corporate|tech)\b")
_WHEN_MOST = _rx(
    r"\b(?:which|what)\s+(?:⟨V⟩\s+)?years?\b|\bwhen\b.*\b(?:most|peak\w*)\b|\bpeak(?:ed|s)?\b|\bbusiest\b"
)
_TOPICS_COMPARED = _rx(
    r"\b(?:is|are|was|were)\s+there\s+more\b|\bmore\b.*\bthan\b|\bwhich\s+(?:is|has|had|was|one|topic|field|"
    r"area)\b|\bcompar\w*|\bvs\.?(?!\w)|\bversus\b|\b(?:bigger|larger|more\s+popular|more\s+common)\b|"
    r"\bmore\s+(?:work|papers|research|publications|studies)\s+(?:on|about|in)\b|"
    r"\bmore\s+(?:studied|researched|explored|investigated|published|popular|papers|work|publications)\b|"
    r"\b(?:got|gets|has|have|had)\s+more\b"
)
_PER_YEAR = _rx(
    r"\bper\s+year\b|\beach\s+year\b|\bevery\s+year\b|\bby\s+year\b|\ba\s+year\b|\bannual\w*|\byearly\b"
)
_PROFILE = _rx(
    r"^\s*(?:who\s+is|who's|who\s+was|whos)\b|\btell\s+me\s+about\b|\bprofile\b|\babout\b|\baffiliat\w*|"
    r"\bwhere(?:'s|s|\s+(?:does|did|do|is))\s.*\b(?:work|based|from)\b|\bh-?index\b|\bbio\b|\bbackground\b|"
    r"\binstitution\b|\bresearch\s+interests?\b|\bwhat\s+(?:does|did|do)\b.*\b(?:work|research|study)\b|"
    r"\bmetrics\b|\bcitation\s+count\b|\bintroduce\b|\bwho\s+are\s+they\b|"
    r"\bwhere(?:'s|s|\s+(?:is|are))\b(?!\s+(?:the|a|an|that|this)\s+(?:paper|article|pdf|link)\b)|"
    r"\b(?:which|what)\s+(?:uni|univ|university|school|college|company|employer|institute|org\w*|lab|group)\b|"
    r"\bwhat\s+(?:kinds?|sorts?|types?)\s+of\s+(?:research|work|stuff|things|topics|problems)\b|"
    r"\bwhat\s+(?:topics|areas|fields|problems|subjects)\b|\bresearch\s+(?:areas?|focus|topics?|themes?)\b|"
    r"\b(?:topics|areas|themes|interests)\s+of\b"
)
_WHO = _rx(
    r"\bwho\b|\bwhom\b|(?<![\w-])experts?\b(?!-)|\bresearchers?\b|(?<![\w-])people\b(?!-)|\bsomeone\b|\banyone\b|\bauthors?\b|"
    r"\banybody\b|\bsomebody\b|\bppl\b|\bmost\s+[\w-]+(?:\s+[\w-]+){0,2}\s+(?:person|one|guy)\b|\btalk\s+to\b|\bspeak\s+(?:to|with)\b|\bcontact\b|\breach\s+out\b|"
    r"\bconsult\b|\b(?:could|should|can|might)\s+(?:i|we)\s+ask\b|\bgood\s+to\s+ask\b|"
    r"\bspecialists?\b|(?<![\w-])groups?\b(?!-)|(?<![\w-])labs?\b(?!-)|\bask\s+about\b|\bscientists?\b|\bfolks\b|"
    r"(?<![\w-])teams?\b(?!-)"
)
_OVERVIEW = _rx(
    r"\boverview\b|\bsummar(?:y|ies|[iy][sz]e[sd]?|[iy][sz]ing)\b|\bsum\s+up\b|"
    r"\bopen\s+(?:problems?|questions?|challenges?|issues?)\b|\bchallenges?\b|"
    r"\bstate\s+of\s+the\s+art\b|\bsota\b|\b(?:main|key|common|major|different)\s+(?:approaches|methods|ideas|"
    r"techniques|directions|themes|lines)\b|\bapproaches\s+(?:to|for)\b|\bwhat(?:'s|\s+is)\s+new\b|"
    r"\btrends?\b|\bsurvey\b|\badvances\b|\blandscape\b|\bhow\s+do\s+(?:people|researchers|papers)\b|"
    r"\bwhat\s+(?:is|do\s+we)\s+know\w*\b|\bprogress\b|\bdevelopments?\b|\blimitations\b|\bexplain\b"
)
_WRITTEN = _rx(r"\bpapers?\b|\bpublications?\b|\bpublish\w*|\bwr(?:ote|itten|ites?)\b|\barticles?\b")
_WHERE = _rx(
    r"\bwhere\b|\baffiliat\w*|\binstitution\b|\buni\b|\buniv\w*|\bcompany\b|\bemployer\b|\bbased\b|"
    r"\bwork(?:s|ing)?\s+(?:at|for)\b"
)
# "who wrote <a paper>", not "who wrote about X" (people on a topic).
_AUTHORS_OF = _rx(
    r"\bwho(?:'s|s)?\s+(?:wrote|writes|authored|is\s+behind|was\s+behind|are\s+behind|were\s+behind|behind|"
    r"came\s+up\s+with|published|made|did)\b"
    r"(?!\s+(?:about|on|papers?|anything|something|work|research|the\s+most|most|more|a\s+lot)\b)|"
    r"\b(?:who\s+(?:are|were|is)\s+the\s+)?authors?\s+(?:of|behind)\s+(?:the|that|this|a)\s+(?:paper|article|work)\b|"
    r"\bwho\s+(?:are|were|is)\s+the\s+authors?\b|\bwritten\s+by\s+whom\b|\bwhose\s+(?:paper|work)\s+is\b"
)
# "authors of ClarET?": of a paper named, where no word for papers makes it a field's authors.
# "who else is on “…”?", "who's on “…”": the authors of the paper named by its title.
# ...and "who's on those with him?" after a list of someone's papers: the people on them.
_WHO_ELSE = r"\bwho(?:'s|\s+(?:is|are|was|were))?(?:\s+else)?"
_ON_THE_PAPER = _rx(
    rf"{_WHO_ELSE}(?:'s|\s+(?:is|are|was|were))?\s+on\s*⟨T⟩|"
    # "“Title”, who's on it": the title said first.
    rf"⟨T⟩\W+(?:and\s+)?{_WHO_ELSE}(?:'s|\s+(?:is|are|was|were))?\s+on\s+(?:it|that|this|there)\b"
)
_ON_THOSE = _rx(rf"{_WHO_ELSE}\s+on\s+(?:those|these|them|th(?:ose|ese)\s+papers)\b")
# "who's on the storybook one", "who was on that paper": the authors of one paper, not who works
# on its subject; "who's on rocketqa": a paper by its name (a word no dictionary has).
# "did he move to ⟨I⟩", "has she joined ⟨I⟩", "went over to ⟨I⟩": whether they are there now.
_MOVED = _rx(
    r"\b(?:move[sd]?|moving|went|gone|go(?:ing)?|join(?:ed|s|ing)?|switch(?:ed|ing)?|transfer(?:red)?|"
    r"relocat\w+|left\s+for|head(?:ed)?)\s+(?:over\s+)?(?:to\s+)?(?:the\s+)?⟨I⟩"
)
# "is ⟨P1⟩ on ⟨T⟩", "was he an author of …", "is she among the authors of …": one person, one paper.
_AUTHOR_CHECK = _rx(
    r"^\W*(?:(?:and|so|also|wait|ok)\W+)*(?:is|was|are|were)\s+(?:⟨P1⟩|he|she|they)\s+(?:also\s+)?(?:on|in|"
    r"an?\s+(?:co-?)?author\s+(?:on|of)|(?:one\s+)?(?:of\s+|among\s+)the\s+(?:co-?)?authors\s+(?:on|of))\s+"
    r"(?P<what>.+)$"
)
_ONE_NAMED = _rx(r"^(?:⟨T⟩|(?:the|that|this)\s+(?:[\w-]+\s+){0,4}?(?:one|paper|article)\b)")
#: Words of a topic that read as a paper's title rather than a field ("is X on generated knowledge
#: prompting for commonsense reasoning?").
TITLE_WORDS = 4
_WHO_ON = r"\bwho(?:'s|\s+else)?(?:\s+(?:is|are|was|were))?\s+on\s+"
_ON_ONE_PAPER = _rx(
    rf"{_WHO_ON}(?:the|that|this)\s+(?:[\w-]+\s+){{0,4}}?(?:one|paper|article|survey|dataset|benchmark)\b"
    r"(?!\s+(?:about|on)\b)|"
    rf"\bthe\s+(?:[\w-]+\s+){{1,4}}?(?:one|paper)\b.*{_WHO_ON}(?:it|that)\b|"
    rf"{_WHO_ON}(?:it|that)\b.*\bthe\s+(?:[\w-]+\s+){{1,4}}?(?:one|paper)\b"
)
_ON_NAMED = _rx(rf"{_WHO_ON}(?P<name>[\w-]+)\W*$")
#: Letters of the shortest word "who's on …" takes as a paper's name ("rocketqa"), not a field's ("ner").
PAPER_NAME_LETTERS = 5
_AUTHORS_OF_NAMED = _rx(r"\bauthors?\s+(?:of|behind|for)\b|\bwho\s+(?:are|were)\s+(?:the\s+)?authors\b")
# The name of one paper asked for.
_CALLED = _rx(
    r"\bwhat\s+(?:was|is|'s|were)\s+(?:it|that|that\s+one|the\s+paper|its\s+(?:name|title))\s+(?:called|named|titled)\b|"
    r"\bwhat\s+(?:was|is|'s)\s+(?:the\s+)?(?:name|title)\s+of\s+(?:it|that|the|this)\b|\bwhat\s+(?:was|is)\s+it\s*\?*$|"
    # "there was a paper measuring …, anyone know it?": the paper, not who works on its subject.
    r"\b(?:any(?:one|body)|some(?:one|body)|you)\s+(?:know|remember|recall)\s+(?:it|this|that|this\s+one|that\s+one|"
    r"the\s+(?:paper|title|name)|which\s+(?:paper|one))\b"
)
# One paper asked for by what it does ("…, which paper?", "the paper about X that …").
_ONE_PAPER = _rx(
    r"\b(?:which|what)\s+(?:paper|article|publication|one)\b(?!s)|"
    r"\b(?:the|a|that|this)\s+(?:[\w-]+\s+){0,3}?(?:paper|article|publication)\s+(?:about|on|that|which|where|with|from|"
    r"introducing)\b"
)
# "who has the most papers", "most prolific authors at IJCAI 2023".
_PROLIFIC = _rx(
    r"\bmost\s+(?:papers|publications|pubs|prolific|productive|active)\b|\bprolific\b|"
    r"\b(?:publish\w*|wr(?:ote|itten|ites?))\s+(?:the\s+)?most\b|"
    r"\b(?:top|leading)(?:[- ]?\d{1,5})?\s+(?:authors|researchers|people)\b"
)
# Questions about the bot and what its records cover ("which conferences do u have data for?").
_ABOUT_STORE = _rx(
    r"\b(?:you|your|yours)\b.*\b(?:data|records|database|corpus|coverage|cover|sources?|conferences|"
    r"venues|index|come\s+from|up\s+to\s+date|recent|updated|know\s+about)\b|"
    r"\b(?:what|which)\s+(?:data|conferences|venues|years|sources)(?:\s+(?:and|&|or)\s+(?:conferences|"
    r"venues|years|sources))?\s+(?:do|does|are|is|have)\b|\bdo\s+you\s+have\b|"
    r"\b(?:what|which)\s+years\s+of\s+⟨V⟩|\byears?\s+(?:covered|held|included|indexed)\b|"
    r"\b(?:most\s+recent|latest|newest|last|earliest|first|oldest)\s+years?\b(?!\s+(?:of|on|in|for|at)\b)|"
    r"\bare\s+you\s+(?:a\s+|an\s+)?(?:chatgpt|gpt|bot|ai|llm|human|real)\b|"
    r"\b(?:can|could|do)\s+you\s+(?:search|browse|google|access)\s+(?:the\s+)?(?:web|internet|arxiv|google|"
    r"online|scholar|semantic\s+scholar)\b"
)
# Questions about using the bot itself: the help text answers them.
_HOW_TO_USE = _rx(
    r"\bhow\s+(?:do|can|should|would|to)\s+(?:i\s+|we\s+|one\s+)?use\s+(?:you|this|it|the\s+bot|scholarbot)\b|"
    r"\bwhat\s+(?:can|do)\s+you\s+do\b|"
    r"\bwhat\s+(?:are\s+)?(?:your\s+|the\s+)?commands\s*(?:$|[?!.]|(?:do|can)\s+(?:you|i)\b|are\s+there\b)|"
    r"\bhow\s+does\s+(?:this|it|the\s+bot|scholarbot)\s+work\b"
)
# A message that only asks for help: "help", "commands?", "hey bot, help pls".
_ONLY_HELP = _rx(
    r"^\W*(?:(?:hi|hey|hello|yo|ok|okay|so|pls|please|plz|bot|scholarbot)\W+)*"
    r"(?:help|help\s+me|i\s+need\s+help|commands?|usage|command\s+list|(?:a\s+)?list\s+of\s+commands|"
    r"(?:show|list|give)\s+(?:me\s+)?(?:the\s+|your\s+)?commands)"
    r"(?:\W+(?:pls|please|plz|bot|me|thanks|thx))*\W*$"
)


def asks_how_to_use(message: str) -> bool:
    """Whether a message asks how to use the bot ("help", "what are your commands?", "how do I use
    this?") rather than about papers: the bot answers it with its commands."""
    text = normalise(plain(message))
    return bool(_ONLY_HELP.search(text) or _HOW_TO_USE.search(text))


# What a question about the store may leave as its "topic".
_STORE_WORDS = words(
    """
    data records record database corpus coverage cover covered sources source conferences venues
    index come came recent updated date chatgpt gpt bot ai llm human real web internet arxiv google
    online scholar semantic citation citations numbers counts cited authors researchers people
    distinct unique different
    """
)
_PRONOUN = _rx(
    r"\b(?:they|them|their|theirs|he|him|his|she|her|hers|this\s+person|that\s+person|both\s+of\s+them)\b"
)
#: A place as who publishes: "does CyberAgent publish any NLP?", "has Google done work on X", "what
#: kind of nlp comes out of Dataminr".
_PLACE_SUBJECT = _rx(
    r"⟨I⟩(?:['’]s)?\s+(?:(?:people|folks|researchers|ever|also|actually|even|still)\s+)?"
    r"(?:publish\w*|work(?:s|ed)?\s+on|do(?:es)?\s+(?:any|research|work)|did\s+(?:any|research|work)|"
    r"research\w*|writes?\s+(?:about|on)|wrote\s+(?:about|on)|put\s+out|ha(?:s|ve)\s+(?:any|papers|work|done))|"
    r"\bout\s+of\s+⟨I⟩|"
    # "hikvision research institute — any nlp papers?": the place said first, then what of it.
    r"^\W*⟨I⟩\s*(?:[-–—:,]|\?)"
)
#: Operations over papers, which an institution narrows to those written there.
_PAPER_OPS = frozenset({"find_papers", "count", "paper_authors", "overview"})
#: "Tor Lattimore papers": a name, then a word for papers.
_NAME_PAPERS = _rx(r"⟨P\d⟩\s+(?:papers?|publications?|pubs|articles|works?)\b")
#: Words that open a clause inside the question, where a pronoun is the clause's own ("anyone checking
#: whether they …"), not someone named before.
_SUBORDINATE = _rx(r"\b(?:whether|that|because|if|although|though|while|unless)\b")
#: "… the purposes they declare": a pronoun right after a noun phrase opens a relative clause.
_RELATIVE = _rx(r"\b(?:the|a|an|these|those|its)\s+[\w'-]+\s*$")
# "the one at Tsinghua" picks among the namesakes the last answer named.
# "the multiagent teams ones", "the search ads ones": the last list narrowed to a topic, a fragment
# that asks nothing of its own (the last question's operation stays).
_THE_ONES = _rx(r"^\s*the\s+[\w'’-]+(?:\s+[\w'’-]+){0,3}\s+ones\W*$")
_FRAGMENT = _rx(
    r"^\s*(?:and|also|what\s+about|how\s+about|same\s+(?:for|with)|now|only|just|but|"
    r"(?:i\s+mean(?:t)?\s+)?the\s+one\s+(?:at|from|in|with|who|working))\b|" + _THE_ONES.pattern
)
# "a new dataset" describes a paper; "what's new", "new papers" ask for the newest.
_DATE = _rx(
    r"\b(?:recent(?:ly)?|latest|newest|lately|nowadays|newly|last\s+(?:few\s+)?(?:months|papers))\b|"
    r"\bwhat(?:'s|\s+is)\s+new\b|\bnew\s+(?:papers|work|publications|results)\b"
)
#: The earliest papers, or when someone began on something: "X's first paper", "when did X start
#: working on Y" (not "the first author", nor a year: "first year" is _YEAR_Q's).
_EARLIEST = _rx(
    r"\b(?:earliest|oldest)\b(?!\s+years?\b)|"
    r"\bfirst\s+(?:[\w-]+\s+)?(?:paper|papers|work|article|publication|pub)\b|"
    r"\b(?:start|started|starting|begin|began|begun)\s+(?:\w+ing|to\s+\w+)\b|"
    r"\bfirst\s+(?:publish|published|wrote|worked|work(?:ed)?\s+on|got\s+into)\b|\bwhen\s+did\b.*\bfirst\b"
)
_SINGULAR_TOP = _rx(
    r"\b(?:most[- ]cited|best[- ]known|most[\s-]+\w+|top|best|highest[- ]cited|best-cited)\s+"
    r"(?:paper|work|article|publication)\b(?!s)|\b(?:which|what)\s+(?:one|paper|work|article|publication)\b(?!s)|"
    r"\b(?:highest|biggest|largest)\b[\w\s-]{0,40}?\b(?:paper|work|article|publication)\b(?!s)"
)
_TOP_N = _rx(r"\btop[- ]?(\d{1,2})\b|\b(\d{1,2})\s+most\b|\b(\d{1,2})\s+(?:best|top)\b")
# Words that ask or connect: stripped from the edges of a segment when reading its topic.
_CUE_WORDS = words(
    """
    a an the and or of in on at to for with by from about into over regarding concerning related re
    is are was were be been being am do does did has have had having will would can could should
    shall may might must who whom whose what which when where why how this that these those there
    here his her their its my our your me you i we they he she it them him us all any anything
    anyone someone something some each every both either neither ever never yet also too just only
    even still again much many more most less fewer few lot lots often usually mostly main mainly frequent
    primarily typically generally frequently times time number count total how list show tell find
    give get see look looking search name names papers paper work works worked working publish
    published publishes publishing publication publications wrote written write writes writing
    article articles research researches researched researching study studies studied studying
    output pubs pub topic topics field fields area areas subject subjects coauthors coauthor
    coauthored co-authors co-author co-authored collaborators collaborator collaborate collaborates
    collaborated collaborating collaboration collaborations together jointly joint common shared
    mutual people person researcher researchers expert experts author authors specialist specialists
    scientist scientists group groups lab labs team teams folks ask asking question cited citations
    citation top best known popular influential famous impactful venue venues conference conferences
    journal journals year years productive active prolific peak recent recently latest newest new
    lately nowadays overview summary summarize summarise survey trends trend approaches methods open
    problems challenges state art sota key major different ideas techniques directions landscape
    progress developments limitations explain know known yes no not ever compare compared comparison
    versus vs more than between difference differences differ profile affiliation affiliated
    institution bio background interests interest metrics h-index hindex based partner partners
    colleagues colleague network co-workers please thanks thank like want need wanna curious wonder
    whether if so than then other others else anybody somebody everything one ones kind sort type
    currently today these days things stuff via per using use used got gotten get gets go goes went
    uni univ university school college company employer institute organisation organization now
    going put make makes made done doing overlap overlaps connection connections connected linked
    thing go-to goto favourite favorite fave usual preferred collab collabs someone's whats
    you've you're you'd i've i'm i'd we've we're it's that's there's ya yall y'all
    most-cited highly-cited highest-cited top-cited well-cited best-known well-known biggest largest
    cites cite citing referenced tally authored authoring highly highest puts putting out come comes came
    regular primary typical closest dated help titles title-only send sends sent most-referenced
    best-cited accepted outlet outlets alongside calendar
    coming appear appears since until outside besides across whole entire newer older earlier later prior
    first move moved moves moving joined join joins went switched relocated headed
    what's who's where's how's when's kind kinds stuff comes
    earliest oldest start started starting begin began begun beginning always theirs hers
    readings intro introductory starter beginner beginners
    appeared appearing submit submits submitted submitting release releases released w/ x same
    recommend suggest good great nice interesting worth must up pull altogether mention mentions
    mentioned mentioning discuss discusses discussed discussing cover covers covered covering deal
    deals dealt dealing address addresses addressed addressing tackle tackles tackled tackling
    ppl talk speak contact reach consult stuck idea advice behind universities companies institutions
    institutes schools colleges organisations organizations unis places industry industrial corporate
    academic academia bigger larger org orgs firm firms affiliations
    """
)

#: Words a topic follows in a question about a person ("papers on dialogue", "related to RL")...
_TOPIC_MARKERS = words(
    """
    on about regarding concerning re in into around to towards toward of for within topic topics
    area areas field fields subject subjects involving including like
    """
)
#: ...or that a topic sits beside ("dialogue papers", "papers: dialogue", "RL coauthors").
_TOPIC_NOUNS = words(
    """
    paper papers work works publication publications article articles research pubs pub output
    stuff coauthors coauthor co-authors collaborators collaborator collaborations collabs people
    researchers experts studies study
    """
)
#: What a question about a person asks, when it asks something (a count, a venue, citations…):
#: its other words must then be a marked topic to count as one.
_ASKS = _rx(
    r"\bhow\s+many\b|\bnumber\s+of\b|#\s*of\b|\bcount\b|\bcit\w+|\bvenues?\b|\bconferences?\b|"
    r"\bjournals?\b|\bwhere\b|\bwhen\b|\byears?\b|\bmost\b|\btop\b|\bbest\b|\bhow\s+\w+\b|"
    r"\bwhich\b|\bwhat\b|\bwho\b|\bever\b|\btogether\b|\bco-?auth\w*|\bcollab\w*"
)
#: Cue words that are also the first or last word of common research terms ("question answering",
#: "topic modeling", "group fairness", "neural network", "architecture search").
_TERM_WORDS = words(
    """
    question topic time state open key group type search network common mutual shared joint
    citation author number expert people person best metrics interest contact talk advice problems
    problem whole moving
    """
)

#: Words for the people a question asks about, which end no topic.
_ASKED_FOR = words("people person expert experts author authors folks ppl researcher researchers")


def read(links: Links) -> Reading:
    """Turn a linked question into a Query (and say whether the reading is sure)."""
    residual = _FILLER.sub(" ", links.residual)
    residual = " ".join(residual.split())
    role, residual = _role(residual)
    residual = _WHILE_AT.sub(" ", residual)
    people, people_out, residual = _left_out(links, residual)
    # Judged before the filler goes too: "just the COLM ones" is a fragment, "just" is filler.
    fragment = bool(_FRAGMENT.match(residual) or _FRAGMENT.match(links.residual))
    refers_back = _refers(residual) or fragment
    if (
        len(people) < 2
        and links.unknown_names
        and (
            _person_question(residual)
            or _NAME_PAPERS.search(_mask(residual, links.unknown_names))
            or links.name_like
        )
    ):
        # A name the store does not hold: ask about it anyway, so the answer can say so; but only
        # when little else is asked ("Multi-Armed Bandit" inside a paper description is no person).
        unknown = links.unknown_names[: 2 - len(people)]
        masked = _mask(residual, unknown, first=len(people) + 1)
        rest = _topic(masked, links)
        if rest is None or len(rest.split()) <= UNKNOWN_NAME_MAX_TOPIC:
            people = (*people, *unknown)
            residual = masked
    refers = _refers(residual)
    topic = _work_done(_topic(residual, links), residual)
    if (
        topic
        and links.institution
        and _short_for(topic.strip(" ()").lower(), place_initials(links.institution))
    ):
        topic = None  # "NICT (National Institute of Information and Communications Technology)"
    if topic and people and not links.title and not _marked(residual, topic) and _ASKS.search(residual):
        # "how many papers did X publish back in 2022?", "which conference shows up most in X's
        # papers?": words left over from how a question about a person is put, not a topic of theirs.
        topic = None
    # Years may narrow it ("how many in 2023?"); a topic, venue or institution makes a question of its own.
    count_back = bool(
        _COUNT.search(residual)
        and not people
        and not refers  # "how many papers do they have?" asks about a person
        and topic is None
        and not (links.venue_said or links.institution)
    )
    sort: Sort = "date" if links.recent and _DATE.search(residual) else "relevance"
    base = {
        "people": people,
        "topic": topic,
        "institution": links.institution,
        "venue": links.venue,
        "venues": tuple(links.venues) if len(links.venues) > 1 else (),
        "venues_out": tuple(links.venues_out),
        "year_from": links.year_from,
        "year_to": links.year_to,
        "sort": sort,
        "labels": tuple(links.labels),
        "role": role,
        "people_out": people_out,
    }
    # "what did they publish?" asks a person question about someone named earlier.
    n = len(people) or (1 if refers else 0)
    # "a paper from a Polish group", "papers from a Google team": who wrote them, no one asked for.
    cues = _WRITTEN_BY_GROUP.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)], residual)
    op, extra, sure = _operation(_framed(cues) if not n else cues, n, topic, links)
    if op in _PAPER_OPS and topic and not n and not links.placed and not _PLACE_SUBJECT.search(residual):
        # A paper search keeps a place only where the question puts papers there ("dialogue papers
        # from Stanford"); a description naming one ("hate speech from Brazil, Germany and India",
        # "alignment of LMs") is about it.
        base["institution"] = None
        base["topic"] = (
            _work_done(_topic(residual.replace("⟨I⟩", links.institution_said), links), residual) or topic
        )
    query = asked = Query(op=op, **{**base, **extra})  # type: ignore[arg-type]
    asked_sure = sure and not _THE_ONES.match(links.residual)
    if query.problem() is not None or (n and not people and op in PERSON_OPS):
        # (A pronoun with no one named: a follow-up fills the person in from the turn before.)
        # Not enough to run what the words ask: fall back to a search of the question's words.
        # (What the question narrows by — a role, someone left out — is no topic.)
        fallback_topic = topic or _content(residual if role or people_out else links.residual) or None
        if fallback_topic:
            query = Query(
                op="find_papers",
                topic=fallback_topic,
                venue=links.venue,
                venues=tuple(links.venues) if len(links.venues) > 1 else (),
                venues_out=tuple(links.venues_out),
                year_from=links.year_from,
                year_to=links.year_to,
                sort=sort,
                labels=tuple(links.labels),
                role=role if role == "solo" else None,
            )
        elif links.labels or role == "solo":
            # "industry track papers at NAACL 2022", "any solo-authored papers?": the papers so marked.
            query = Query(
                op="find_papers",
                venue=links.venue,
                year_from=links.year_from,
                year_to=links.year_to,
                labels=tuple(links.labels),
                role=role if role == "solo" else None,
                sort="citations",
            )
        else:
            query = Query(op="help")
        sure = False
    if query.op == "help" and not people and (links.year_from or links.year_to):
        # "papers from 1850", "what will be published in 2031?": what the records hold then.
        query = Query(
            op="find_papers", venue=links.venue, year_from=links.year_from, year_to=links.year_to, sort="date"
        )
    return Reading(
        query,
        sure,
        links,
        refers_back=refers_back,
        asked=asked,
        asked_sure=asked_sure,
        fragment=fragment,
        count_back=count_back,
        picks_namesake=bool(_ONE_AT.search(links.residual)),
    )


#: "has anyone tried / adapted / combined …": whether a piece of work exists.
_ANYONE_DONE = _rx(
    r"\b(?:has|have|did)\s+(?:anyone|anybody|someone|people|researchers)\s+(?:ever\s+|already\s+)?"
    r"(?P<verb>tried|done|used|applied|adapted|combined|built|proposed|shown|studied|extended|compared|"
    r"trained|released|published\s+(?:on|about)|looked\s+(?:at|into))\b"
)
#: A group said as where papers come from: its noun (the group) asks for no one.
_WRITTEN_BY_GROUP = _rx(
    r"\b(?:from|by)\s+(?:an?|the|some|one)\s+(?:[\w⟨⟩'-]+\s+){0,3}?(groups?|labs?|teams?)\b"
)
#: A paper's noun and the word that opens its description ("work showing", "paper on", "the study
#: where", "is there something on"); what follows describes it.
_DESCRIBES = _rx(
    r"\b(?:papers?|articles?|stud(?:y|ies)|preprints?|work|something|anything|one)\s+"
    r"(?:that|which|where|whose|when|in\s+which|on|about|showing|shows|proving|proposing|proposes|"
    r"introducing|introduces|presenting|analy[sz]ing|studying|describing|comparing|modell?ing|using|"
    r"looking\s+at|arguing|claiming|finding)\b"
)
#: A run of title-case words is a title typed into the question unless the question has this many
#: times its words besides.
TITLE_AMID_WORDS = 3
#: Words a description must have to be one a cue word inside may belong to.
DESCRIBED_CLAUSE_WORDS = 8

# "the one at ⟨I⟩", "the ⟨I⟩ one": which namesake.
_ONE_AT = _rx(r"\bthe\s+one\s+(?:at|from|in)\s+⟨I⟩|\bthe\s+⟨I⟩\s+(?:one|guy|person)\b")


# Where a person stands among a paper's authors ("first-author papers", "as last author", "the
# ones where she's last author", "solo-authored"). A bare "the first author" names an author of a
# paper instead ("who's the first author on that?").
_WHO_IS = r"(?:⟨P\d⟩|he|she|they)"
_OFTEN = r"(?:(?:usually|always|often|mostly)\s+)?"
# "where she's", "which papers is ⟨P1⟩", "is he usually": the person said to be that author.
_WHERE_THEY_ARE = (
    rf"(?:(?:where|which|that|in\s+which)\s+(?:\w+\s+)?{_WHO_IS}(?:'s|'re|\s+(?:is|was|are|were))\s+{_OFTEN}|"
    rf"\b(?:is|was|are|were)\s+{_WHO_IS}\s+{_OFTEN})"
)
_ALSO_SAID = r"(?:\s*\((?:first|lead|last|senior)\))?"  # "senior (last) author"
_PAPERS_AFTER = r"(?=\s+(?:papers?|ones?|pubs|publications|works?|articles)\b)"


def _role_pattern(words: str) -> re.Pattern[str]:
    return _rx(
        rf"{_WHERE_THEY_ARE}(?:the\s+)?{words}{_ALSO_SAID}[- ]?author\b|"
        rf"\bas\s+(?:the\s+)?{words}{_ALSO_SAID}[- ]?author\b|"
        rf"\b{words}{_ALSO_SAID}[- ]?author(?:ed|ship)\b|\b{words}{_ALSO_SAID}[- ]?authors?{_PAPERS_AFTER}"
    )


_ROLES: tuple[tuple[Role, re.Pattern[str]], ...] = (
    ("first", _role_pattern("(?:first|lead|leading)")),
    ("last", _role_pattern("(?:last|senior)")),
    (
        "solo",
        _rx(
            r"\b(?:solo|single|sole|one)[- ]?author(?:ed|s)?\b|"
            # "solo" and "on their own" of the papers, not of what a paper is about ("the solo
            # player's tempo", "a probe on their own picture backbone"): nothing of theirs follows.
            rf"\bsolo(?:{_PAPERS_AFTER}|(?=\s*(?:[?.!,]|$)))|"
            r"\bwith(?:out)?\s+(?:no|any|a\s+single)?\s*co-?authors?\b|"
            r"\b(?:by|on)\s+(?:him|her|them)sel(?:f|ves)\b|\bon\s+(?:his|her|their)\s+own\b(?=\s*(?:[?.!,]|$))"
        ),
    ),
)
# "on their own" / "by themselves", which need someone said before them to be about authors...
_OF_NO_ONE = _rx(r"on\s+their\s+own|by\s+themselves")
# ...a person named, or asked about as "they" ("which did they write on their own?").
_SOMEONE_SAID = _rx(r"⟨P\d⟩|\b(?:they|them|those|these|ones?|papers?|pubs|works?)\b")
# "while at Oxford", "when she was at Google": the place narrows the papers; the words are no topic.
_WHILE_AT = _rx(r"\b(?:while|whilst|when\s+(?:⟨P\d⟩|he|she|they)\s+(?:was|were))(?=\s+(?:at|in|with)\s+⟨I⟩)")
# Someone the question leaves out: "without Y", "other than Y", "besides Y", "not with Y".
_LEAVE_OUT = _rx(
    r"\b(?:without|excluding|except(?:\s+for)?|other\s+than|besides|apart\s+from|aside\s+from|"
    r"not\s+(?:with|including|counting|co-?authored\s+with|written\s+with)|minus|but\s+not|"
    r"(?:don'?t|do\s+not|doesn'?t|does\s+not|didn'?t|did\s+not)\s+(?:have|include|list|feature))\s+"
    r"(?:(?:the\s+)?ones?\s+with\s+)?⟨P(\d)⟩(?:\s+(?:as\s+(?:a\s+)?co-?author|on\s+(?:them|it)))?|"
    r"(?:that|which|where)?\s*⟨P(\d)⟩\s+(?:is|was|are|were)(?:n'?t|\s+not)\s+(?:on|an?\s+(?:co-?)?author)\b"
)


def _role(residual: str) -> tuple[Role | None, str]:
    """The authorship role the question asks for ("first-author papers"), and the question without it."""
    for role, pattern in _ROLES:
        m = pattern.search(residual)
        if m and _OF_NO_ONE.fullmatch(m.group(0)) and not _SOMEONE_SAID.search(residual[: m.start()]):
            continue  # "can robots map a room on their own?": "their" is the robots', no author's
        if m:
            kept = " ".join(re.findall(r"⟨P\d⟩", m.group(0)))  # "which papers is ⟨P1⟩ first author on"
            return role, " ".join(f"{residual[: m.start()]} {kept} {residual[m.end() :]}".split())
    return None, residual


def _left_out(links: Links, residual: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """The people asked about, those the question leaves out ("X's papers without Y"), and the
    question without the leaving out, the rest of the people numbered in order again."""
    said = [p.text for p in links.people]  # ⟨Pn⟩ is said[n - 1]
    out_at = {int(m.group(1) or m.group(2)) for m in _LEAVE_OUT.finditer(residual)}
    if not out_at:
        return tuple(dict.fromkeys(said)), (), residual  # a name said twice is one person
    out = tuple(dict.fromkeys(said[n - 1] for n in sorted(out_at) if n <= len(said)))
    people = tuple(dict.fromkeys(t for n, t in enumerate(said, 1) if n not in out_at and t not in out))
    residual = _LEAVE_OUT.sub(" ", residual)

    def renumber(m: re.Match[str]) -> str:
        text = said[int(m.group(1)) - 1] if int(m.group(1)) <= len(said) else ""
        return f"⟨P{people.index(text) + 1}⟩" if text in people else " "

    return people, out, " ".join(re.sub(r"⟨P(\d)⟩", renumber, residual).split())


def _operation(residual: str, n: int, topic: str | None, links: Links) -> tuple[Op, dict[str, object], bool]:
    """The operation the words ask for, extra arguments, and whether a cue decided it."""
    r = residual
    if n >= 2:
        if _COUNT.search(r):
            return "count", {"count_of": "papers"}, True
        # "papers where both are authors" asks for papers; "common coauthors", "who worked with
        # both" for people.
        people_asked = _WHO_ASKED.search(r) or not _PAPERS.search(r)
        if (
            _COMMON.search(r)
            and (_COLLAB.search(r) or _WHO.search(r) or _WHO_ASKED.search(r))
            and people_asked
            and not _YESNO.search(r)
        ):
            return "common_coauthors", {}, True
        if _COMPARE.search(r):
            return "compare", {"sort": "citations"} if re.search(r"\bcit\w+", r, re.I) else {}, True
        # A statement with a question mark and no question word asks yes or no too: "A collaborated
        # w/ B?", "A and B coauthors?".
        stated = r.rstrip().endswith("?") and not _WH.search(r)
        linked = _COLLAB.search(r) or _TOGETHER.search(r)
        if (_YESNO_PAIR.search(r) and (linked or _PAPERS.search(r))) or (stated and linked):
            return "collab_check", {}, True
        if _ASKS_WHO.search(r) and _COLLAB.search(r) and not _PAPER_NOUNS.search(r):
            return "common_coauthors", {}, True
        if _PAPERS.search(r) or _TOGETHER.search(r) or _COLLAB.search(r):
            return "joint_papers", _sorting(r), True
        return "joint_papers", {}, False
    if n == 1:
        check = _AUTHOR_CHECK.search(r)
        if check and (topic or links.title) and _one_paper_named(check.group("what"), topic):
            # "is ⟨P1⟩ on ⟨T⟩?", "was she an author of the rocketqa paper": whether they wrote it.
            return "paper_authors", {}, True
        if _PARTNER_PLACES.search(r) and not links.institution:
            # "which institutions does X collaborate with most?", "where are X's coauthors from?"
            return "top_institution", {}, True
        if _WHICH_VENUE.search(r) and not _COLLAB.search(r):
            # "At which venue has X published the greatest number of papers?"
            return "top_venue", {}, True
        if len(links.venues) > 1 and _WHICH_MORE.search(r):
            # "did X publish more at ACL or NAACL?", "X: ACL vs NAACL": which of those venues.
            return "top_venue", {}, True
        if _YEAR_Q.search(r) and not re.search(r"\bhow\s+many\b", r, re.I):
            # "X best year by paper count": the year, whatever word counts it.
            return "top_year", {}, True
        if _COUNT.search(r):
            count_of: CountOf = "papers"
            if not _HOW_MANY_PAPERS.search(r) and (
                _COLLAB.search(r) or re.search(r"\bpeople\b|\bcoauthors?\b", r, re.I)
            ):
                count_of = "collaborators"
            elif _PER_YEAR.search(r) and not (links.year_from and links.year_from == links.year_to):
                # "per year" of one year is that year's count ("annual report … 2024. How many?").
                count_of = "papers_per_year"
            return "count", {"count_of": count_of}, True
        if _YEAR_Q.search(r):
            return "top_year", {}, True
        if _VENUE_Q.search(r) and not _COLLAB.search(r):
            return "top_venue", {}, True
        if (_COLLAB.search(r) or _ON_THOSE.search(r)) and not _CITATIONS.search(r):
            # "top coauthors of X": the people, not X's most cited papers; "who's on those with him?"
            # after a list of X's papers: the people on them.
            return "collaborators", {}, True
        if _CITED.search(r):
            return "papers_by", {"sort": "citations", **_limit(r)}, True
        if _PER_YEAR.search(r) and _PAPERS.search(r):
            return "count", {"count_of": "papers_per_year"}, True
        if (_YESNO.search(r) or _MOVED.search(r)) and links.institution and not _WRITTEN.search(r):
            # "is X at Stanford?", "does X work for Google?", "did he move to bochum?": a profile
            # that answers yes or no.
            return "profile", {}, True
        if _EARLIEST.search(r):
            # "X's first paper", "when did X start working on Y": their papers, oldest first.
            return "papers_by", {"sort": "oldest"}, True
        if _DATE.search(r) and not _WHERE.search(r):
            # "what's X been up to lately", "the newest from X": their papers, newest first.
            return "papers_by", {"sort": "date"}, True
        if _PROFILE.search(r) and not (topic and _PAPERS.search(r)):
            # "what did X work on in 2021" asks for the papers of that year, not a profile.
            if links.year_from or links.year_to or links.venue_said:
                return "papers_by", _sorting(r), True
            return "profile", {}, True
        if _PAPERS.search(r) or topic or links.year_from or links.year_to or links.venue_said:
            return "papers_by", _sorting(r), True
        return "profile", {}, not _content(r)
    # No person named.
    how_to_use = _HOW_TO_USE.search(r) or _ONLY_HELP.search(r)
    if how_to_use and not (links.venue_said or links.institution or links.title):
        # "just joined the lab, how do i use u": what the bot does, not a search for "joined".
        return "help", {"topic": None}, True
    set_against = _set_against(r, links)
    if set_against is not None:
        # "more NAS papers at IJCAI or AAAI?", "2022 vs 2024", "Yonsei vs Sungkyunkwan": each counted.
        return "compare", set_against, True
    about = topic is None or all(w.lower() in _STORE_WORDS for w in re.findall(r"[\w'-]+", topic))
    if _ABOUT_STORE.search(links.residual) and about and not links.title:
        people_counted = _COUNT.search(r) and _WHO.search(r) and not _PAPERS.search(r)
        if _CITATIONS.search(r) and (links.venue_said or links.year_from or links.year_to):
            # "do you have citation counts for WWW 2024?": the most cited there, or that none has one.
            return "find_papers", {"sort": "citations", "limit": DEFAULT_TOP, "topic": None}, True
        if (links.venue_said or links.year_from or links.year_to or _COUNT.search(r)) and not people_counted:
            # "is acl 2023 in ur data?", "do u have papers from 2019?": how many there are.
            return "count", {"count_of": "papers"}, True
        return "coverage", {}, True
    if (_CALLED.search(r) or _CALLED.search(links.residual)) and (topic or links.title):
        # "a colm paper measuring how many papers are written with chatgpt, what was it called?":
        # one paper described, whatever its description counts.
        return "find_papers", {}, True
    if (
        _COUNT.search(r)
        and _WHO.search(r)
        and not (topic or links.venue_said or links.institution or links.title)
    ):
        # "how many authors are in the database?": what the records hold, researchers counted.
        return "coverage", {}, True
    which_place = _WHICH_PLACE.search(r)
    # "which companies publish on X?", "which labs work on X": the places that do, most papers first.
    places_working = which_place and _PLACE_WORKS.search(r[which_place.end() :])
    places_ranked = (which_place if _WHICH_MORE.search(r) or places_working else None) or _TOP_PLACES.search(
        r
    )
    if places_ranked and not _ASKS_WHO.search(r):
        # "which university publishes the most on X?", "top labs for X": places, not people; of
        # the kind the question names before or as its noun.
        asked = places_ranked.group(0)
        kind = (
            "university"
            if _UNIVERSITY_ASKED.search(asked)
            else "company"
            if _COMPANY_ASKED.search(asked)
            else None
        )
        return "top_institution", {"place_kind": kind} if kind else {}, True
    venue_asked = re.search(_WHERE_PUBLISHED, r, re.I) and not _ASKS_WHO.search(r)
    if (venue_asked or not _WHO.search(r)) and not _CITED.search(_TOP_VENUE.sub(" ", r)):
        # ("top venues" ranks no citations)
        if (
            topic
            and len(compared(topic)) > 1
            and (_TOPICS_COMPARED.search(r) or re.search(r"\b(?:vs\.?|versus|than)(?!\w)", topic, re.I))
        ):
            return "compare", {}, True
        if venue_asked or (
            (_WHICH_VENUE.search(r) or _VENUE_Q.search(r) or _TOP_VENUE.search(r))
            and (_WHICH_MORE.search(r) or _TOP_VENUE.search(r))
        ):
            return "top_venue", {}, True
        if (
            _WHEN_MOST.search(r)
            and _WHICH_MORE.search(r)
            and (topic or links.venue_said or _PAPERS.search(r))
        ):
            return "top_year", {}, True
    if links.title and _ON_THE_PAPER.search(r):
        return "paper_authors", {}, True
    if topic and (_ON_ONE_PAPER.search(r) or _paper_name(_ON_NAMED.search(r))):
        return "paper_authors", {}, True
    if (_AUTHORS_OF.search(r) or (_AUTHORS_OF_NAMED.search(r) and not _PAPER_NOUNS.search(r))) and (
        topic or links.title
    ):
        return "paper_authors", {}, True
    if _ONE_PAPER.search(r) and (topic or links.title) and not _COUNT.search(r):
        # "…fake news with llm agents, which paper?", "the paper about neopronouns: authors?"
        return ("paper_authors" if _WHO.search(r) else "find_papers"), {}, True
    if _COUNT.search(r) and _CITATIONS.search(r) and (topic or links.title) and not _PLURAL_PAPERS.search(r):
        # "how many citations does TS2Vec have?", "how many cites does the UMIC paper have": the paper
        # it names, with its count.
        return "find_papers", {"sort": "citations", "limit": 1}, True
    if _COUNT.search(r) and (topic or links.venue_said or links.institution):
        return "count", {"count_of": "papers"}, True
    if _COUNT.search(r) and (_PAPERS.search(r) or links.year_from or links.year_to) and not _WHO.search(r):
        # "how many papers do you have (from 2023)?", "what's the total for 2023?": the whole store,
        # or its years.
        return "count", {"count_of": "papers"}, True
    if _OVERVIEW.search(r):
        return "overview", {}, True
    if _ANYONE_DONE.search(r) and described(topic):
        # "has anyone adapted the HRED hierarchy to transformers in task-oriented dialogue?": whether
        # such work exists, its papers (and their authors); "has anyone worked on X?" asks who.
        return "find_papers", {}, True
    if _WHO.search(r) and _PROLIFIC.search(r) and not topic and not links.institution:
        return "who_works_on", _limit(r) if _TOP_N.search(r) else {}, True
    if _WHO.search(r) and (topic or links.institution or links.venue_said):
        return "who_works_on", {}, True
    if _CITED.search(r) and (
        topic or links.venue_said or links.year_from or links.year_to or _PAPERS.search(r)
    ):
        return "find_papers", {"sort": "citations", **_limit(r)}, True
    if topic or links.title:
        return "find_papers", _sorting(r), _PAPERS.search(r) is not None or links.title is not None
    if links.institution and not links.venue_said and not _WHO.search(r):
        # "papers from Stanford", "what has CMU published lately?", "what kind of stuff comes out of
        # uni mannheim": the newest papers written there ("what about acme" in a thread is unsure:
        # a follow-up asks the last question about it).
        sure = bool(_PAPERS.search(r) or _CITED.search(r))
        return "find_papers", {"sort": "citations" if _CITED.search(r) else "date"} if sure else {}, sure
    if links.venue_said and not _WHO.search(r):
        # "latest NAACL papers": that venue's newest; "most recent NAACL you've got": its years;
        # "any grammarly stuff at coling?": a place's papers there.
        if _PAPERS.search(r) or (links.institution and not _COUNT.search(r)):
            return "find_papers", {"sort": "citations" if _CITED.search(r) else "date"}, True
        # Sure only when it asks something ("just the www ones" narrows the turn before).
        return "count", {"count_of": "papers"}, bool(_DATE.search(r) or _COUNT.search(r))
    return "help", {}, not _content(r)


def _work_done(topic: str | None, residual: str) -> str | None:
    """The topic without the verb of "has anyone tried / adapted …" ("has anyone tried RAG for legal
    QA?": the work is "RAG for legal QA")."""
    done = _ANYONE_DONE.search(residual)
    if topic and done and topic.lower().startswith(f"{done.group('verb').lower()} "):
        return re.sub(r"^(?:the|an?)\s+", "", topic[len(done.group("verb")) :].strip(), flags=re.I)
    return topic


def _framed(residual: str) -> str:
    """A question about a paper it describes at length, with the description left out: what the
    question asks is said around it ("is there work showing X", "paper on X, who wrote it?"), and a
    word inside it ("…when someone injects fake documents", "…a summary in the other language",
    "…under a budget on total item cost") asks nothing. The question as it is when it describes none."""
    m = _DESCRIBES.search(residual)
    if m is None:
        return residual
    description = residual[m.end() :]
    # A short clause or sentence after the description asks about it ("…, who wrote it?", "… -
    # authors?", "…. who wrote it?").
    tail = re.search(r"(?:[,;?]|\.(?=\s)|\s[-–—])\s*((?:\S+\s*){1,5})$", description)
    said = description[: tail.start()] if tail else description
    if len(re.findall(r"\w+", said)) < DESCRIBED_CLAUSE_WORDS:
        return residual
    return f"{residual[: m.end()]} … {tail.group(1) if tail else ''}".strip()


def _one_paper_named(what: str, topic: str | None) -> bool:
    """Whether the words after "is X on" name one paper: its title, "the X one", a paper's name
    ("rocketqa"), or words enough for a title; not a field ("is she on dialogue?")."""
    return bool(
        _ONE_NAMED.match(what)
        or _paper_name(re.fullmatch(r"(?P<name>[\w-]+)\W*", what))
        or len((topic or "").split()) >= TITLE_WORDS
    )


def _paper_name(said: re.Match[str] | None) -> bool:
    """Whether the word "who's on" ends with names one paper ("rocketqa", "MuCGEC"): long, in no
    dictionary and no short acronym of a field ("NER", "GNNs")."""
    if said is None:
        return False
    name = said.group("name")
    return len(name) >= PAPER_NAME_LETTERS and not name.isupper() and not is_english(name.lower())


def _set_against(r: str, links: Links) -> dict[str, object] | None:
    """The field a question without people compares, and its values: two places, venues or years
    named with a word that weighs one against the other ("more", "vs", "which has")."""
    if not (_WHICH_MORE.search(r) or _WHICH_OF.search(r)):
        return None
    if len(links.institutions) == 2:
        return {"compare_by": "institution", "compared": tuple(links.institutions)}
    if len(links.venues) == 2 and not links.venues_out:
        return {"compare_by": "venue", "compared": tuple(links.venues)}
    years = list(dict.fromkeys(links.years))
    if len(years) == 2:
        return {"compare_by": "year", "compared": tuple(str(y) for y in years)}
    return None


def _short_for(word: str, initials: str) -> bool:
    """Whether a word is a short form of a name with these initials: its letters among them, in
    order, from the first ("nict": National Institute of Information and Communications Technology)."""
    return len(word) >= 2 and word.isalpha() and abbreviates(word, initials)


def _sorting(r: str) -> dict[str, object]:
    if _CITED.search(r):
        return {"sort": "citations", **_limit(r)}
    if _EARLIEST.search(r):
        return {"sort": "oldest"}
    if _DATE.search(r):
        return {"sort": "date"}
    return {}


def _limit(r: str) -> dict[str, object]:
    m = _TOP_N.search(r)
    if m:
        n = int(next(g for g in m.groups() if g))
        return {"limit": max(1, min(MAX_LIMIT, n))}
    if _SINGULAR_TOP.search(r):
        return {"limit": 1}
    return {"limit": DEFAULT_TOP}


def _refers(residual: str) -> bool:
    """Whether a pronoun stands for someone named earlier (in the conversation or the question)."""
    for m in _PRONOUN.finditer(residual):
        before = residual[: m.start()]
        if _SUBORDINATE.search(before):
            continue
        if m.group(0).lower() in {"they", "he", "she"} and _RELATIVE.search(before):
            continue
        return True
    return False


def _person_question(r: str) -> bool:
    return bool(_COLLAB.search(r) or _PROFILE.search(r) or re.search(r"\bby\b|'s\b", r, re.I))


def _mask(residual: str, names: list[str], first: int = 1) -> str:
    for i, name in enumerate(names, first):
        # As typed, initials with their dots ("R. Navigli's" for the name "R Navigli").
        typed = r"\.?\s*".join(map(re.escape, name.split())) + r"(?:'s)?"
        residual = re.sub(typed, f"⟨P{i}⟩", residual)
    return residual


def _marked(residual: str, topic: str) -> bool:
    """Whether a topic stands where a question about a person puts one: after "on", "about", "in"…
    ("papers on dialogue"), or beside a word for papers or coauthors ("dialogue papers", "papers:
    dialogue", "his dialogue coauthors")."""
    pattern = r"\W+".join(re.escape(w) for w in topic.split())
    m = re.search(pattern, residual, re.I)
    if m is None:
        return True
    # The words since the last entity before it ("published on can a …": "on" marks what follows).
    lead = [w.lower() for w in re.findall(r"[\w'-]+", re.split(r"⟨[A-Z]\d*⟩", residual[: m.start()])[-1])]
    after = re.findall(r"[\w'-]+", residual[m.end() :])
    following = after[0].lower() if after else ""
    # A word for papers marks only what it stands right beside ("papers: dialogue", not "papers were
    # authored by").
    prev = lead[-1] if lead else ""
    return bool(set(lead) & _TOPIC_MARKERS) or prev in _TOPIC_NOUNS or following in _TOPIC_NOUNS


def _topic(residual: str, links: Links) -> str | None:
    """The topic: the longest stretch of content words between entities, edges stripped of cue words;
    a title typed in title case is kept whole ("Attention Is All You Need" ends in cue words)."""
    if links.title:
        return links.title
    best = ""
    for segment in re.split(r"⟨[A-Z]\d*⟩", _CALLED.sub(" ", residual)):
        words = _strip_edges(segment)
        run = _title_run(segment)
        if run and len(words) > TITLE_AMID_WORDS * len(run.split()):
            # "multimodal FL on IoT devices where slow clients are …": a few capitalised words
            # amid a long description are its acronyms, not a title typed into it.
            run = None
        text = run or " ".join(words)
        if len(text) > len(best):
            best = text
    return best or None


_WH_WORDS = words("who whom whose what which where when why how")
#: The question's own words that may open a run of capitalised words before a title.
_ASKING = words(
    """
    who whom whose what which where when how wrote write writes written authored find show list
    give tell name papers paper article called titled named authors author
    """
)


def _title_run(segment: str) -> str | None:
    """A run of title-case words that reads as a paper's title (`titled`), the question's own words
    before it aside ("Who Wrote Attention Is All You Need")."""
    runs = re.findall(
        r"(?:[A-Z][\w'-]*|(?<=\s)(?:"
        + "|".join(TITLE_SMALL_WORDS)
        + r")(?=\s))(?:\s+(?:[A-Z][\w'-]*|(?:"
        + "|".join(TITLE_SMALL_WORDS)
        + r")(?=\s)))*",
        segment,
    )
    for run in sorted(runs, key=len, reverse=True):
        words = run.split()
        if words[0].lower() in _WH_WORDS and segment.lstrip().startswith(run):
            return None  # "Who Works On Machine Translation?": a question typed in title case
        while words and (words[0].lower() in _ASKING or words[0].lower() in TITLE_SMALL_WORDS):
            words.pop(0)
        while words and words[-1].lower() in TITLE_SMALL_WORDS:
            words.pop()
        if titled(" ".join(words)):
            return " ".join(words)
    return None


def _strip_edges(segment: str) -> list[str]:
    # A slash between words offers alternatives ("voting / social choice"), as "or" does.
    words = re.findall(r"[\w][\w'.+#/-]*|[\"“”]|(?<!\S)/(?!\S)", segment)
    words = ["or" if w == "/" else w for w in words if w not in '"“”']

    def cue(w: str) -> bool:
        if w.isdigit() or len(w) == 1:  # "top 3 papers": a limit; "paper(s)": a letter, no topic
            return True
        if re.fullmatch(r"top-?\d+", w, re.I):  # "top-3 papers on NER", "top10 NER papers"
            return True
        low = w.lower().strip("'.")
        # "who's", "who'd", "I'm", "they'll": a cue word with its contraction is one.
        return low in _CUE_WORDS or re.sub(r"'(?:s|d|ll|re|ve|m)$", "", low) in _CUE_WORDS or _cue_typo(low)

    def stays(w: str, neighbour: str | None, last: bool = False) -> bool:
        # "question answering", "topic modeling", "neural network": a cue word that also names
        # things stays with the content word beside it ("a question about X" loses it). A word for
        # whom the question asks about ends no topic ("hate speech people", "NLP experts").
        if last and w.lower() in _ASKED_FOR:
            return False
        return w.lower() in _TERM_WORDS and neighbour is not None and not cue(neighbour)

    while words and cue(words[0]) and not stays(words[0], words[1] if len(words) > 1 else None):
        words.pop(0)
    while words and cue(words[-1]) and not stays(words[-1], words[-2] if len(words) > 1 else None, last=True):
        words.pop()
    return words


@lru_cache(maxsize=4096)
def _cue_typo(word: str) -> bool:
    """A typo of a cue word ("usualy", "colaborators"): one edit from one, and no English word."""
    return (
        len(word) >= CUE_TYPO_LETTERS
        and word.isalpha()
        and not is_english(word)
        and not _CUE_WORDS.isdisjoint(one_edit(word))
    )


def _content(text: str) -> str:
    """Words that are not cue words, for telling an empty question from a topic."""
    text = re.sub(r"⟨\w+⟩", " ", _FILLER.sub(" ", text))  # a linked span is no content word
    return " ".join(w for w in re.findall(r"[\w][\w'-]*", text) if w.lower() not in _CUE_WORDS)
