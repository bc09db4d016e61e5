"""Chat as people type it in Discord, made readable before any entity is linked.

Three things happen to a message first: informal spellings become the words the reader's cues know
("whats" → "what's", "u" → "you", "abt" → "about"); a message that wraps its question in other
sentences ("I'm a new PhD student … Who works on X? Need someone for a collab") is read from its
question; and a message that only thanks or acknowledges is recognised as such, so it gets a short
reply instead of a search for "helpful".
"""

from __future__ import annotations

import re
import unicodedata

from scholarbot.answers.linking import words

#: Informal spellings and the words they stand for (whole words, any case).
_SPELLINGS = {
    "whats": "what's",
    "wats": "what's",
    "wat": "what",
    "wut": "what",
    "whos": "who's",
    "hows": "how's",
    "wheres": "where's",
    "whens": "when's",
    "thats": "that's",
    "theres": "there's",
    "u": "you",
    "ya": "you",
    "ur": "your",
    "r": "are",
    "abt": "about",
    "bout": "about",
    "ppl": "people",
    "any1": "anyone",
    "some1": "someone",
    "every1": "everyone",
    "sum1": "someone",
    "conf": "conference",
    "confs": "conferences",
    "smth": "something",
    "sth": "something",
    "sb": "somebody",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "cant": "can't",
    "wont": "won't",
    "im": "I'm",
    "ive": "I've",
    "wanna": "want to",
    "gonna": "going to",
    "gimme": "give me",
    "lemme": "let me",
    "tho": "though",
    "w/": "with",
    "w/o": "without",
    "b/w": "between",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "thnx": "thanks",
    "tnx": "thanks",
    "ty": "thanks",
    "tysm": "thanks",
    "fav": "favourite",
    "fave": "favourite",
}
_SPELLING = re.compile(
    r"(?<![\w'])("
    + "|".join(re.escape(k) for k in sorted(_SPELLINGS, key=len, reverse=True))
    + r")(?![\w'/])",
    re.I,
)

#: Words that end a sentence with a full stop only when they are not an abbreviation or an initial.
_ABBREVIATIONS = words(
    """
    e.g i.e al etc vs dr prof mr ms mrs no fig cf jr sr univ uni inst dept corp inc ltd co st
    """
)
_BREAK = re.compile(r"(?<=[?!.])\s+")
#: Words that lean on what was said before ("who does she work with?"): such a question keeps its context.
_LEANS = re.compile(
    r"\b(?:they|them|their|theirs|he|him|his|she|her|hers|same)\b|^\s*(?:and|also|what\s+about|how\s+about)\b",
    re.I,
)
#: ...and words for a thing said before, in a question too short to name it itself ("who wrote it?",
#: "anyone have the link?", "anyone remember the name?"; not "who wrote BitFit and where was it
#: published?").
_LEANS_ON_THING = re.compile(
    r"\b(?:it|its|this|that|these|those|confirm|deny|verify|link|name|title|idea|ideas|pointer|pointers)\b",
    re.I,
)
SHORT_QUESTION_WORDS = 5
#: A question this short names nothing of its own ("which paper?", "authors?").
BARE_QUESTION_WORDS = 2


#: ...and a question that ends asking whom to turn to, about what it does not say ("I'm stuck on
#: planning heuristics, who could I ask?").
_LEANS_ON_SUBJECT = re.compile(
    r"\b(?:ask|talk\s+to|speak\s+(?:to|with)|contact|reach\s+out\s+to|consult|turn\s+to|read)\W*$", re.I
)


def _leans(question: str) -> bool:
    if (
        _LEANS.search(question)
        or _LEANS_ON_SUBJECT.search(question)
        or len(question.split()) <= BARE_QUESTION_WORDS
    ):
        # "… wordle-like game. which paper?": too short to name what it asks about.
        return True
    return bool(_LEANS_ON_THING.search(question)) and len(question.split()) <= SHORT_QUESTION_WORDS


_QUESTION_START = re.compile(
    r"^\W*(?:(?:in|at|for|from|of|on|with|by|to|since|during)\s+(?=wh))?"
    r"(?:who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|can|could|would|"
    r"will|should|has|have|had|any|anyone|anybody|list|show|find|give|tell|name|recommend|suggest)\b",
    re.I,
)

# Where a question opens inside a sentence: after a clause break or a chat word.
_INNER_START = re.compile(
    r"(?:[,:;]|\s[-–—]|\b(?:anyway|anyways|so|btw|lol|ok|okay|but))\s+(?="
    + _QUESTION_START.pattern[4:]
    + ")",
    re.I,
)
#: What the words before such a question say when they are chat, not part of the question.
_CHATTY = re.compile(
    r"\b(?:i|i'm|my|me|we|our|sorry|hi|hey|hello|morning|evening|lol|quick|guys|all|folks|everyone|"
    r"thanks|please|week|first|new|dumb|question)\b",
    re.I,
)
#: What makes a sentence beside a question chat rather than more of it: greetings, thanks, someone
#: else it is about...
_ASIDE = re.compile(
    r"\b(?:hi|hey|hello|morning|evening|thanks|thank|thx|please|pls|sorry|lol|haha|guys|folks|everyone|"
    r"he|she|his|her|him|keep|kept)\b",
    re.I,
)
#: ...or the asker and what they need it for, unless the sentence describes a paper ("I remember a
#: paper that fine-tunes …") or their work at length ("we're attacking a credit-scoring model where
#: perturbed inputs must obey business rules"), which a search by description may use.
_ASKER = re.compile(r"\b(?:i|i'm|im|me|my|we|our|us|need|needs|want|wants|help|thesis|collab)\b", re.I)
_DESCRIBES_PAPER = re.compile(
    r"\b(?:paper|work|study|article|one)\s+(?:that|which|where|with|on|about)\b", re.I
)
#: Words of four letters or more, none of them chat's, that make a sentence about the asker's work.
CONTEXT_WORDS = 5
_CHAT_WORDS = words(
    """
    that this with have need needs want wants just really some what which there their about from would
    could should paper papers thesis review project anyone know remember recall think sure pretty
    """
)


#: Words before a question that name its subject, not chat: a possessive or a capitalised word
#: inside the sentence ("Out of all Xi Zhou's work, …").
_NAMES_SOMEONE = re.compile(r"\w['’]s\b|(?<=\s)(?!I\b)[A-Z][a-z]+")
#: Chat idioms for working on a field ("who's big on AMR parsing", "anyone active in RL?").
_IDIOMS = re.compile(r"\b(?:(?:big|huge|strong)\s+on|active\s+in)\b", re.I)
#: Emoji, pictographs and ellipses: chat's sentence ends.
_PAUSE = re.compile(r"(?:[\u2600-\u27bf\U0001f000-\U0001faff]\ufe0f?|\u2026|\.{3,})\s*")

#: Words that thank or praise: a message needs one of them to count as thanks...
_ACK_NEEDS = words(
    """
    amazing appreciate appreciated awesome brilliant cool excellent great helpful love lovely neat
    nice perfect thank thanks useful wonderful
    """
)
#: ...and may hold nothing but these besides.
_ACK_WORDS = _ACK_NEEDS | words(
    """
    a again alright best bot dear fine good got hah haha helped indeed is it job k legend lol lot
    lots many much noted ok okay really rock rocks scholarbot so sounds super that that's this tons
    very was work wow yay you
    """
)


# Discord's markup, which says how a message looks or whom it pings, not what it asks: custom emoji
# (<:pog:123>), mentions of users, roles and channels, timestamps, @everyone / @here, :shortcodes:.
_DISCORD_TOKENS = re.compile(
    r"<a?:\w+:\d+>|<(?:@[!&]?|#)\d+>|<t:\d+(?::\w)?>|(?<!\w)@(?:everyone|here)\b|"
    r"(?<![\w:]):[a-z][a-z0-9_+-]*:(?![\w:])",
    re.I,
)
# Markdown around words: **bold**, __underline__, *italic*, _italic_, ~~strike~~, ||spoiler||, `code`.
_EMPHASIS = re.compile(
    r"(?<![\w*_~|`])(\*{1,3}|_{1,2}|~~|\|\||`{1,3})(?=\S)(.+?)(?<=\S)\1(?![\w*_~|`])", re.S
)
_LINK = re.compile(r"\[([^\]]+)\]\((<?https?://[^)\s]+>?)\)|<(https?://[^>\s]+)>")
# A line quoting another message ("> idk if anyone saw this"), and Markdown's heading and list marks
# ("# of papers" is a count: "#" as "number").
_QUOTE_LINE = re.compile(r"^\s*>{1,3}\s?(.*)$", re.M)
_LINE_MARK = re.compile(r"^\s*(?:#{1,3}(?!\s+of\b)|-#|[-*+]|\d+[.)])\s+", re.M)


def plain(text: str) -> str:
    """The words of a Discord message: compatibility forms folded (full-width letters, as CJK
    keyboards type them), Discord's mentions, custom emoji and Markdown removed, and lines quoting
    another message left out when the message says something of its own."""
    text = unicodedata.normalize("NFKC", text)
    text = _DISCORD_TOKENS.sub(" ", text)
    text = _LINK.sub(lambda m: f"{m.group(1)} {m.group(2).strip('<>')}" if m.group(1) else m.group(3), text)
    for _ in range(2):  # nested emphasis: ***bold italic*** or **_both_**
        text = _EMPHASIS.sub(lambda m: m.group(2), text)
    own = [line for line in text.splitlines() if line.strip() and not _QUOTE_LINE.match(line)]
    text = "\n".join(own) if own else _QUOTE_LINE.sub(lambda m: m.group(1), text)
    return _LINE_MARK.sub("", text).strip()


def normalise(text: str) -> str:
    """Informal spellings replaced by the words they stand for; everything else as typed.

    Only as chat types them: lower case, or capitalised where no name is spelt so ("Whats", not
    "U" of "U Kang" or "Im" of "Jungseock Im"). Emoji and ellipses end a sentence, as they do in chat.
    Interjections that open or close a message ("hm ok, …", "fair. is she …", "… btw") are dropped,
    so that they are read neither as a topic nor as a sentence the question leans on.
    """
    text = _JOINED.sub(" and ", _EITHER_NOUN.sub(r"\1 or \2", _spelt(text)))
    bare = _TRAILING_FILLER.sub("", _LEADING_FILLER.sub("", text))
    return bare if bare.strip(" ?!.") else text


def _spelt(text: str) -> str:
    return _SPELLING.sub(_replace, _IDIOMS.sub("working on", _PAUSE.sub(". ", plain(text))))


#: "which labs/universities …", "people/groups working on X": two kinds of places or people asked
#: about, read as "labs or universities" (a topic's "encoder/decoder" stays as typed).
_EITHER_NOUN = re.compile(
    r"\b(labs?|universit(?:y|ies)|unis?|compan(?:y|ies)|institut(?:e|es|ions?)|orgs?|organi[sz]ations?|groups?|"
    r"people|researchers?|authors?|places|teams?)/([a-z]{2,})\b",
    re.I,
)
#: "venue+year", "authors+affiliations": two things asked for at once.
_JOINED = re.compile(r"(?<=[a-z]{2})\+(?=[a-z]{2})", re.I)
#: Interjections, dropped from a message's start however they are followed...
_INTERJECTIONS = (
    r"hm+|um+|uh+|ah+|oh+|ok(?:ay)?|lol|lmao|haha+|yeah|yep|yup|nope|gotcha|wow|huh|btw|anyway|anyways"
)
#: ...and words that are chat only when punctuation closes them ("fair. is she …", not "fair ranking").
_CLOSED = (
    r"np|fair(?:\s+enough)?|cool|nice|great|sure|right|alright|interesting|thanks|sorry|well|got\s+it|i\s+see"
)
# Typed in lower case an interjection needs no punctuation ("lol ok what else"); "Oh" may be a name.
_LEADING_FILLER = re.compile(
    rf"^\W*(?:(?:(?:{_INTERJECTIONS})(?:\s*[,.!:;]+|\s+[-–—]+)?"
    rf"|(?i:{_INTERJECTIONS}|{_CLOSED})(?:\s*[,.!:;]+|\s+[-–—]+))\s+)+"
)
#: "what's her h-index btw", "who's their most prolific author then lol".
_TRAILING_FILLER = re.compile(r"(?:[,\s]+(?:btw|lol|lmao|haha+|tho|though))+(?=\W*$)", re.I)


def _replace(m: re.Match[str]) -> str:
    typed = m.group(0)
    word = _SPELLINGS[typed.lower()]
    if typed.islower() or not typed[:1].isalpha():
        return word
    if typed[:1].isupper() and typed[1:].islower() and len(typed) >= 4:
        return word[0].upper() + word[1:]
    return typed


def focus(text: str) -> str:
    """The question of a message that wraps it in other sentences; otherwise the message itself.

    Only sentences that end in a question mark are kept, and only when they stand on their own: a
    question that leans on the others ("… Yoav Goldberg. Who does he work with?") keeps them all.
    """
    sentences = [_from_question(s) for s in _sentences(text)]
    if len(sentences) == 1 and sentences[0] != text.strip():
        return sentences[0]
    asked = [s for s in sentences if s.rstrip("!").endswith("?")]
    if len(sentences) < 2 or not asked or len(asked) == len(sentences):
        return text
    if any(_title_cased(s) for s in sentences if s not in asked):
        # "How Good is Your Tokenizer? On the Monolingual Performance of …": a title with a "?".
        return text
    kept = " ".join(asked)
    # A "sentence" that does not open like a question is more likely the tail of a title with a "!"
    # or "?!" in it ("Time Waits for No One! Analysis and Challenges?") than a question of its own.
    if _leans(kept) or not all(_QUESTION_START.match(s) for s in asked):
        return text
    return kept


def beside_question(text: str) -> str | None:
    """The message whole when `focus` kept only its question and the sentences it left out are no
    chat about the asker ("does an image+text model help misinformation detection? paper feeding VLM
    embeddings into a classifier …", "is there something on X? healthcare phone setting"): a search
    by description may read them as more of its description. None otherwise."""
    asked = focus(text)
    if asked == text:
        return None
    rest = [s for s in _sentences(text) if s.strip() and s.strip() not in asked]
    if not rest or any(_aside(s) for s in rest):
        return None
    return text


def _aside(sentence: str) -> bool:
    """Whether a sentence beside a question is chat about it rather than more of it."""
    if _ASIDE.search(sentence):
        return True
    if not _ASKER.search(sentence) or _DESCRIBES_PAPER.search(sentence):
        return False
    said = [w for w in re.findall(r"[a-z][\w'-]+", sentence.lower()) if len(w) >= 4 and w not in _CHAT_WORDS]
    return len(said) < CONTEXT_WORDS


def _title_cased(sentence: str) -> bool:
    """Whether a sentence reads like a title: most of its longer words capitalised."""
    long = [w for w in re.findall(r"[^\W\d_][\w'-]*", sentence) if len(w) >= 4]
    return len(long) >= 3 and sum(w[0].isupper() for w in long) >= 0.75 * len(long)


def _from_question(sentence: str) -> str:
    """A question sentence from where its question opens, when chat comes first in the same
    sentence ("sorry if this is dumb, first week here anyway how many papers did X publish?")."""
    if not sentence.rstrip("!").endswith("?") or _QUESTION_START.match(sentence):
        return sentence
    m = _INNER_START.search(sentence)
    if m is None or (m.start() > 0 and not _CHATTY.search(sentence[: m.start()])):
        return sentence
    before = sentence[: m.start()]
    if _NAMES_SOMEONE.search(before):
        # "Out of all Xi Zhou's work, which paper is cited most?": the question's subject comes first.
        return sentence
    # "I have a question about dialogue: who works on it?" needs what came before.
    return sentence if _leans(sentence[m.end() :]) else sentence[m.end() :]


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _BREAK.finditer(text):
        before = text[start : m.start()]
        if before.endswith(".") and not _ends_sentence(before):
            continue
        out.append(before)
        start = m.end()
    out.append(text[start:])
    return [s for s in (s.strip().lstrip(". ") for s in out) if s]


def _ends_sentence(text: str) -> bool:
    """Whether a full stop ends a sentence: not after an initial ("D."), an abbreviation, or "U.S."."""
    last = text[:-1].rsplit(None, 1)[-1] if text[:-1].strip() else ""
    word = last.lower().strip("(\"'“")
    return len(word) > 1 and word not in _ABBREVIATIONS and "." not in word


def is_thanks(text: str) -> bool:
    """Whether a message only thanks or acknowledges ("thx that was helpful!", "great, thanks")."""
    tokens = re.findall(r"[a-z']+", _spelt(text).lower())
    return bool(tokens) and set(tokens) <= _ACK_WORDS and bool(set(tokens) & _ACK_NEEDS)


# "who is X and what's her most cited paper?": a second question joined to the first.
_SECOND_QUESTION = re.compile(
    r"\?\s+(?=(?:what|what's|whats|who|who's|whom|which|where|when|how|does|do|did|has|have|is|are|can)\b)|"
    r",?\s+(?:and|also|plus|&)\s+(?:also\s+)?(?=(?:what|what's|whats|who|who's|whom|which|where|how)\b)",
    re.I,
)
# "what about X? what does she work on": a follow-up and what it asks about X, one question.
_FOLLOWS_ON = re.compile(r"^\W*(?:and|also|what\s+about|how\s+about)\b", re.I)
#: Words each of two questions needs to be answered on its own.
QUESTION_MIN_WORDS = 3


def two_questions(text: str) -> tuple[str, str] | None:
    """The two questions of a message that asks two ("who is X and what's her most cited paper?",
    "how many papers does X have? who are her coauthors?"); None when it asks one."""
    for m in _SECOND_QUESTION.finditer(text):
        first, second = text[: m.start()].strip(" ,"), text[m.end() :].strip()
        if not first or not second:
            continue
        opens = _QUESTION_START.match(first) or _INNER_START.search(first)
        if (
            opens
            and not _FOLLOWS_ON.match(first)
            and len(first.split()) >= QUESTION_MIN_WORDS
            and len(second.split()) >= QUESTION_MIN_WORDS
        ):
            return first + ("" if first.endswith("?") else "?"), second
    return None
