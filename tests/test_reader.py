"""Reading questions into typed queries, and running each operation, on the bundled sample in a real store.

The phrasings are tables of how people really ask in chat: greetings, politeness, case, word order,
possessives and typos must not change how a question is read.
"""

from __future__ import annotations

import json
import re

import pytest

from scholarbot.answers import Answerer, Query
from scholarbot.answers.followup import follow_up
from scholarbot.services import Services

from conftest import SAMPLE, answerer_over


@pytest.fixture(scope="module")
def answerer(sample_services: Services) -> Answerer:
    return Answerer(sample_services)


def _read(answerer: Answerer, question: str) -> dict[str, object]:
    return answerer.read(question).query.to_json()


COLLAB = {"op": "collaborators", "people": ["Hanlin Gu"]}

# (question, the query it must be read as; people compared case-insensitively)
PHRASINGS: list[tuple[str, dict[str, object]]] = [
    ("Who collaborates with Hanlin Gu?", COLLAB),
    ("hey bot, quick q: who does hanlin gu work with?", COLLAB),
    ("hanlin gu's coauthors pls", COLLAB),
    ("Gu Hanlin collaborators?", COLLAB),
    ("who has Hanlin Gu written papers with", COLLAB),
    ("HANLIN GU co-authors", COLLAB),
    ("who works with Hanlin Gu on federated learning?", {**COLLAB, "topic": "federated learning"}),
    (
        "Hanlin Gu papers 2025",
        {"op": "papers_by", "people": ["Hanlin Gu"], "year_from": 2025, "year_to": 2025},
    ),
    (
        "can you list the stuff hanlin gu published since 2025? thx",
        {"op": "papers_by", "people": ["hanlin gu"], "year_from": 2025},
    ),
    ("list Qiang Yang's papers before 2022", {"op": "papers_by", "people": ["Qiang Yang"], "year_to": 2021}),
    (
        "Which papers by Hanlin Gu are about privacy?",
        {"op": "papers_by", "people": ["Hanlin Gu"], "topic": "privacy"},
    ),
    ("Zheng Lin", {"op": "profile", "people": ["Zheng Lin"]}),
    ("who is hanlin gu", {"op": "profile", "people": ["hanlin gu"]}),
    ("where does Hanlin Gu work?", {"op": "profile", "people": ["Hanlin Gu"]}),
    (
        "does Fandong Meng collaborate with Zheng Lin?",
        {"op": "collab_check", "people": ["Fandong Meng", "Zheng Lin"]},
    ),
    (
        "Has fandong meng ever coauthored with zheng lin",
        {"op": "collab_check", "people": ["fandong meng", "zheng lin"]},
    ),
    (
        "papers coauthored by Fandong Meng and Zheng Lin",
        {"op": "joint_papers", "people": ["Fandong Meng", "Zheng Lin"]},
    ),
    (
        "Which papers did Fandong Meng and Zheng Lin write together?",
        {"op": "joint_papers", "people": ["Fandong Meng", "Zheng Lin"]},
    ),
    (
        "common coauthors of Liang Pang and Hainan Zhang",
        {"op": "common_coauthors", "people": ["Liang Pang", "Hainan Zhang"]},
    ),
    (
        "what is Furu Wei's most cited paper?",
        {"op": "papers_by", "people": ["Furu Wei"], "sort": "citations", "limit": 1},
    ),
    (
        "top 3 papers of Fandong Meng",
        {"op": "papers_by", "people": ["Fandong Meng"], "sort": "citations", "limit": 3},
    ),
    (
        "how many papers did Furu Wei publish in 2022?",
        {"op": "count", "people": ["Furu Wei"], "year_from": 2022, "year_to": 2022, "count_of": "papers"},
    ),
    (
        "how many coauthors does Fandong Meng have?",
        {"op": "count", "people": ["Fandong Meng"], "count_of": "collaborators"},
    ),
    ("which venue does Fandong Meng publish in most?", {"op": "top_venue", "people": ["Fandong Meng"]}),
    ("which year was Fandong Meng most productive?", {"op": "top_year", "people": ["Fandong Meng"]}),
    (
        "who has more papers, Fandong Meng or Liang Pang?",
        {"op": "compare", "people": ["Fandong Meng", "Liang Pang"]},
    ),
    (
        "who works on dialogue at Tsinghua?",
        {"op": "who_works_on", "topic": "dialogue", "institution": "Tsinghua"},
    ),
    ("Who should I ask about split learning?", {"op": "who_works_on", "topic": "split learning"}),
    (
        "COLING 2025 papers on retrieval augmented generation",
        {
            "op": "find_papers",
            "topic": "retrieval augmented generation",
            "venue": "COLING",
            "year_from": 2025,
            "year_to": 2025,
        },
    ),
    (
        "what are the main approaches to federated learning?",
        {"op": "overview", "topic": "federated learning"},
    ),
    ("what's new in federated learning?", {"op": "overview", "topic": "federated learning", "sort": "date"}),
    ("thanks!", {"op": "help"}),
    ("hi", {"op": "help"}),
    # "from 2024" is that year; "from 2024 on" is a range.
    (
        "Show me Hanlin Gu's papers from 2024",
        {"op": "papers_by", "people": ["Hanlin Gu"], "year_from": 2024, "year_to": 2024},
    ),
    ("Hanlin Gu papers from 2024 onwards", {"op": "papers_by", "people": ["Hanlin Gu"], "year_from": 2024}),
    ("Hanlin Gu papers, 2024 and later", {"op": "papers_by", "people": ["Hanlin Gu"], "year_from": 2024}),
    ("Hanlin Gu 2023+ papers", {"op": "papers_by", "people": ["Hanlin Gu"], "year_from": 2023}),
    # Asking where someone is, however it is put, is a profile question.
    ("which uni is hanlin gu at", {"op": "profile", "people": ["Hanlin Gu"]}),
    ("where is Hanlin Gu now?", {"op": "profile", "people": ["Hanlin Gu"]}),
    ("where are Fandong Meng's papers published?", {"op": "top_venue", "people": ["Fandong Meng"]}),
    (
        "is fandong meng more of an acl or a naacl person?",
        {"op": "top_venue", "people": ["Fandong Meng"], "venue": "ACL", "venues": ["ACL", "NAACL"]},
    ),
    # The earliest papers, and when someone began on something.
    ("what was Hanlin Gu's first paper?", {"op": "papers_by", "people": ["Hanlin Gu"], "sort": "oldest"}),
    (
        "when did hanlin gu start working on federated learning",
        {"op": "papers_by", "people": ["hanlin gu"], "topic": "federated learning", "sort": "oldest"},
    ),
    ("Hanlin Gu earliest papers", {"op": "papers_by", "people": ["Hanlin Gu"], "sort": "oldest"}),
    # Interjections around a question are chat, never a topic.
    ("hm ok, who does hanlin gu work with?", COLLAB),
    ("fair. who collaborates with Hanlin Gu?", COLLAB),
    ("np - who collaborates with Hanlin Gu btw", COLLAB),
    # Places asked for as the ones that work on something, of a kind or two.
    (
        "which labs/universities work on federated learning?",
        {"op": "top_institution", "topic": "federated learning"},
    ),
    (
        "which companies publish on federated learning?",
        {"op": "top_institution", "topic": "federated learning", "place_kind": "company"},
    ),
    # A place that publishes is where the papers are from, not what they are about.
    (
        "does Tsinghua publish any dialogue work?",
        {"op": "find_papers", "topic": "dialogue", "institution": "Tsinghua"},
    ),
    # Summarization is a field; a summary is a request.
    ("who works on summarization?", {"op": "who_works_on", "topic": "summarization"}),
    ("summarize the work on federated learning", {"op": "overview", "topic": "federated learning"}),
    # Other names of a venue the records hold.
    (
        "how many TheWebConf 2024 papers does Liang Pang have",
        {
            "op": "count",
            "people": ["Liang Pang"],
            "venue": "WWW",
            "year_from": 2024,
            "year_to": 2024,
            "count_of": "papers",
        },
    ),
    (
        "papers at the Web Conference by Liang Pang",
        {"op": "papers_by", "people": ["Liang Pang"], "venue": "WWW"},
    ),
    # A middle initial left out, or added.
    ("papers by Mona Diab", {"op": "papers_by", "people": ["Mona T. Diab"]}),
    ("papers by Hanlin X. Gu", {"op": "papers_by", "people": ["Hanlin Gu"]}),
    # Chat spellings, chat around the question, and a research word that is also a chat word.
    ("whats hanlin gu been up to lately?", {"op": "papers_by", "people": ["Hanlin Gu"], "sort": "date"}),
    (
        "yo can u pull up hanlin gu's 2024 papers pls",
        {"op": "papers_by", "people": ["Hanlin Gu"], "year_from": 2024, "year_to": 2024},
    ),
    (
        "who works on federated recommendation? need someone for a collab",
        {"op": "who_works_on", "topic": "federated recommendation"},
    ),
    (
        "recommend me a good paper to read on federated learning",
        {"op": "find_papers", "topic": "federated learning"},
    ),
    (
        "how many ACL 2022 papers r there altogether",
        {"op": "count", "venue": "ACL", "year_from": 2022, "year_to": 2022, "count_of": "papers"},
    ),
    (
        "who wrote the most papers at ACL 2022?",
        {"op": "who_works_on", "venue": "ACL", "year_from": 2022, "year_to": 2022},
    ),
    ("is hanlin gu at tsinghua?", {"op": "profile", "people": ["Hanlin Gu"], "institution": "Tsinghua"}),
    # Words chat uses that are also research words stay in a topic.
    ("papers on reading comprehension", {"op": "find_papers", "topic": "reading comprehension"}),
    ("who works on whole slide images?", {"op": "who_works_on", "topic": "whole slide images"}),
    ("papers on privacy of data", {"op": "find_papers", "topic": "privacy of data"}),
    # Words that ask but also begin or end a field's name stay beside a content word.
    ("who works on question answering?", {"op": "who_works_on", "topic": "question answering"}),
    ("any experts on topic modeling?", {"op": "who_works_on", "topic": "topic modeling"}),
    ("papers on graph neural network", {"op": "find_papers", "topic": "graph neural network"}),
    ("i have a question about dialogue: who works on it?", {"op": "who_works_on", "topic": "dialogue"}),
    ("Fandong Meng's most frequent coauthors?", {"op": "collaborators", "people": ["Fandong Meng"]}),
    # A slash offers alternatives, as "or" does.
    ("who works on voting / social choice", {"op": "who_works_on", "topic": "voting or social choice"}),
    # An acronym no affiliation spells as initials, after "at": the name it abbreviates.
    (
        "anyone at UPenn working on dialogue?",
        {"op": "who_works_on", "topic": "dialogue", "institution": "University of Pennsylvania"},
    ),
    # A short form of an institution's name, even with no "at"; an acronym the papers use as a word
    # ("AI") is no institution without one.
    (
        "UPenn folks working on dialogue?",
        {"op": "who_works_on", "topic": "dialogue", "institution": "University of Pennsylvania"},
    ),
    ("poker or mahjong AI - anyone?", {"op": "who_works_on", "topic": "poker or mahjong AI"}),
    # Words around "most cited", "how many" and "where" that ask, not narrow ("put out", "appear").
    (
        "Fandong Meng's most-cited publication",
        {"op": "papers_by", "people": ["Fandong Meng"], "sort": "citations", "limit": 1},
    ),
    (
        "how productive was Fandong Meng in 2022?",
        {"op": "count", "people": ["Fandong Meng"], "year_from": 2022, "year_to": 2022, "count_of": "papers"},
    ),
    (
        "In 2022, how many papers did Fandong Meng put out?",
        {"op": "count", "people": ["Fandong Meng"], "year_from": 2022, "year_to": 2022, "count_of": "papers"},
    ),
    ("where do most of Fandong Meng's papers appear?", {"op": "top_venue", "people": ["Fandong Meng"]}),
    (
        "Tally of Fandong Meng's 2022 papers, please.",
        {"op": "count", "people": ["Fandong Meng"], "year_from": 2022, "year_to": 2022, "count_of": "papers"},
    ),
    (
        "how many articles did Fandong Meng co-author in 2022?",
        {"op": "count", "people": ["Fandong Meng"], "year_from": 2022, "year_to": 2022, "count_of": "papers"},
    ),
    (
        "Out of all Fandong Meng's work, which paper has been cited most?",
        {"op": "papers_by", "people": ["Fandong Meng"], "sort": "citations", "limit": 1},
    ),
    (
        "fandong meng's most referenced paper according to google scholar?",
        {"op": "papers_by", "people": ["Fandong Meng"], "sort": "citations", "limit": 1},
    ),
    (
        "At which venue has Fandong Meng published the greatest number of papers?",
        {"op": "top_venue", "people": ["Fandong Meng"]},
    ),
    ("fandong meng publishes mostly where?", {"op": "top_venue", "people": ["Fandong Meng"]}),
    (
        "Which researchers have co-authored with Fandong Meng as well as with Jie Zhou?",
        {"op": "common_coauthors", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    (
        "Fandong Meng / Jie Zhou co-authorship: yes or no?",
        {"op": "collab_check", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    (
        "upenn people working on dialogue?",
        {"op": "who_works_on", "topic": "dialogue", "institution": "University of Pennsylvania"},
    ),
    (
        "For my records: Fandong Meng's paper count for the year 2022?",
        {"op": "count", "people": ["Fandong Meng"], "year_from": 2022, "year_to": 2022, "count_of": "papers"},
    ),
    (
        "who have fandong meng and jie zhou each published with?",
        {"op": "common_coauthors", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    (
        "Fandong Meng and Jie Zhou, is there any joint paper at all?",
        {"op": "collab_check", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    (
        "Which paper by Fandong Meng has the most cites?",
        {"op": "papers_by", "people": ["Fandong Meng"], "sort": "citations", "limit": 1},
    ),
    ("Where does Fandong Meng send most of his papers?", {"op": "top_venue", "people": ["Fandong Meng"]}),
    ("What's Fandong Meng's primary publication venue?", {"op": "top_venue", "people": ["Fandong Meng"]}),
    ("fandong meng's regular co-authors?", {"op": "collaborators", "people": ["Fandong Meng"]}),
    (
        "Fandong Meng / Jie Zhou: any co-authorship on record?",
        {"op": "collab_check", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    (
        "whose names appear alongside both Fandong Meng and Jie Zhou?",
        {"op": "common_coauthors", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    (
        "Fandong Meng's most-referenced paper",
        {"op": "papers_by", "people": ["Fandong Meng"], "sort": "citations", "limit": 1},
    ),
    ("Fandong Meng's main publication outlet?", {"op": "top_venue", "people": ["Fandong Meng"]}),
    (
        "My colleague claims Fandong Meng and Jie Zhou wrote something together. Can you confirm or deny?",
        {"op": "collab_check", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    # An acronym after "from" that the records cannot name is asked about as a place (no one is
    # there), not searched for as a topic that would name people anywhere.
    (
        "anyone from PKU working on dialogue?",
        {"op": "who_works_on", "topic": "dialogue", "institution": "PKU"},
    ),
    (
        "Fandong Meng's highest Google Scholar citation count paper",
        {"op": "papers_by", "people": ["Fandong Meng"], "sort": "citations", "limit": 1},
    ),
    (
        "Give me a number: Fandong Meng, papers, 2022.",
        {"op": "count", "people": ["Fandong Meng"], "year_from": 2022, "year_to": 2022, "count_of": "papers"},
    ),
    (
        "Has Fandong Meng ever been on an author list with Jie Zhou?",
        {"op": "collab_check", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    (
        "Fandong Meng — does his co-author list include Jie Zhou?",
        {"op": "collab_check", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    # Alternatives of four words or more are one topic (each side alone matches too loosely).
    (
        "who works on falconry / training birds of prey?",
        {"op": "who_works_on", "topic": "falconry or training birds of prey"},
    ),
    # A topic marked earlier than its first kept word ("on can a …") is still a topic.
    (
        "What has Fandong Meng published on can a neural model translate chat?",
        {"op": "papers_by", "people": ["Fandong Meng"], "topic": "neural model translate chat"},
    ),
    # Two people: yes or no without an opening auxiliary; the people who worked with both; papers.
    (
        "fandong meng and jie zhou - ever on the same paper?",
        {"op": "collab_check", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    (
        "Fandong Meng collaborated w/ Jie Zhou?",
        {"op": "collab_check", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    (
        "who's worked with Fandong Meng AND Jie Zhou?",
        {"op": "common_coauthors", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    (
        "any overlap in coauthors between fandong meng and jie zhou?",
        {"op": "common_coauthors", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    (
        "list papers where both Fandong Meng and Jie Zhou are authors",
        {"op": "joint_papers", "people": ["Fandong Meng", "Jie Zhou"]},
    ),
    # An institution named as where people are, before the topic.
    (
        "any Tencent researchers working on machine translation?",
        {"op": "who_works_on", "topic": "machine translation", "institution": "Tencent"},
    ),
    # One paper asked for by what it does (the paper and who wrote it, when "someone" did it).
    (
        "a dataset of pruned attention heads, which paper?",
        {"op": "find_papers", "topic": "dataset of pruned attention heads"},
    ),
    (
        "someone pruned attention heads in transformers, which paper",
        {"op": "paper_authors", "topic": "pruned attention heads in transformers"},
    ),
    (
        "the paper about pruning attention heads — authors?",
        {"op": "paper_authors", "topic": "pruning attention heads"},
    ),
    # A second name the records lack is asked about, not read as a topic.
    (
        "does Andrew Ng collaborate with Hanlin Gu?",
        {"op": "collab_check", "people": ["Hanlin Gu", "Andrew Ng"]},
    ),
    # Which venue or year has the most papers on a topic; which of two topics has more.
    (
        "which venue has the most dialogue state tracking papers",
        {"op": "top_venue", "topic": "dialogue state tracking"},
    ),
    ("where does most of the jailbreaking work get published?", {"op": "top_venue", "topic": "jailbreaking"}),
    ("top venues for federated learning", {"op": "top_venue", "topic": "federated learning"}),
    ("which year had the most papers on split learning?", {"op": "top_year", "topic": "split learning"}),
    (
        "at ACL 2022 was there more work on dialogue state tracking or text-to-sql?",
        {
            "op": "compare",
            "topic": "dialogue state tracking or text-to-sql",
            "venue": "ACL",
            "year_from": 2022,
            "year_to": 2022,
        },
    ),
    (
        "sarcasm vs metaphor papers at COLING",
        {"op": "compare", "topic": "sarcasm vs metaphor", "venue": "COLING"},
    ),
    # Whom to turn to, however it is put; chat words around a topic are not part of it.
    ("who'd be good to ask about clickbait?", {"op": "who_works_on", "topic": "clickbait"}),
    (
        "who should I talk to about word sense disambiguation?",
        {"op": "who_works_on", "topic": "word sense disambiguation"},
    ),
    (
        "i'm stuck on classical planning heuristics, who could I ask?",
        {"op": "who_works_on", "topic": "classical planning heuristics"},
    ),
    ("hate speech ppl?", {"op": "who_works_on", "topic": "hate speech"}),
    ("who works on contact tracing?", {"op": "who_works_on", "topic": "contact tracing"}),
    (
        "does anyone know good papers about split learning lol",
        {"op": "find_papers", "topic": "split learning"},
    ),
    # A question opening with a preposition is still the question of a longer message.
    (
        "in which year were split learning papers most common? a rough breakdown would be lovely",
        {"op": "top_year", "topic": "split learning"},
    ),
    # One paper described and its name asked for, whatever the description counts.
    (
        "there was a paper measuring how many reviews are written with chatgpt, what was it called",
        {"op": "find_papers", "topic": "measuring how many reviews are written with chatgpt"},
    ),
    ("top coauthors of Hanlin Gu", COLLAB),
    # Which places publish the most, on a topic or of all.
    ("which institution has the most papers?", {"op": "top_institution"}),
    # A count asked with "= ?", and "per year" of one year, are that year's count.
    (
        "hanlin gu: papers in the year 2025 = ?",
        {"op": "count", "people": ["Hanlin Gu"], "year_from": 2025, "year_to": 2025, "count_of": "papers"},
    ),
    (
        "I'm tallying publications for our group's annual report: Hanlin Gu, calendar year 2025. How many?",
        {"op": "count", "people": ["Hanlin Gu"], "year_from": 2025, "year_to": 2025, "count_of": "papers"},
    ),
    # Probe wordings: a year asked with a count word, "collab w/", what kind of research, chat
    # spellings and idioms, how to use the bot.
    ("hanlin gu best year by paper count", {"op": "top_year", "people": ["Hanlin Gu"]}),
    ("who does Hanlin Gu collab w/", COLLAB),
    ("what kind of research does Hanlin Gu do?", {"op": "profile", "people": ["Hanlin Gu"]}),
    ("what topics does hanlin gu work on", {"op": "profile", "people": ["Hanlin Gu"]}),
    ("any1 know who works on split learning stuff?", {"op": "who_works_on", "topic": "split learning"}),
    ("who's big on split learning 🤔", {"op": "who_works_on", "topic": "split learning"}),
    ("which conf has the most split learning papers", {"op": "top_venue", "topic": "split learning"}),
    ("where do people working on split learning publish?", {"op": "top_venue", "topic": "split learning"}),
    # A venue's year in two digits, however joined to it.
    (
        "www 24 papers on split learning",
        {"op": "find_papers", "topic": "split learning", "venue": "WWW", "year_from": 2024, "year_to": 2024},
    ),
    (
        "split learning at WWW'25?",
        {"op": "find_papers", "topic": "split learning", "venue": "WWW", "year_from": 2025, "year_to": 2025},
    ),
    ("top 5 authors", {"op": "who_works_on", "limit": 5}),
    (
        "who's published more: hanlin gu or fandong meng",
        {"op": "compare", "people": ["Hanlin Gu", "Fandong Meng"]},
    ),
    (
        "which got more papers: split learning or federated learning",
        {"op": "compare", "topic": "split learning or federated learning"},
    ),
    (
        "is split learning or federated learning more studied",
        {"op": "compare", "topic": "split learning or federated learning"},
    ),
    ("research topics of Hanlin Gu", {"op": "profile", "people": ["Hanlin Gu"]}),
    ("what's the most recent year covered", {"op": "coverage", "sort": "date"}),
    (
        "what year was best for split learning papers at ACL",
        {"op": "top_year", "topic": "split learning", "venue": "ACL"},
    ),
    (
        "which is bigger in the data: split learning or federated learning",
        {"op": "compare", "topic": "split learning or federated learning"},
    ),
    ("hey bot 👋 just joined the lab, how do i use u", {"op": "help"}),
    (
        "most cited paper on math word problems?",
        {"op": "find_papers", "topic": "math word problems", "sort": "citations", "limit": 1},
    ),
    (
        "there was a paper measuring how many people fly to split learning conferences, anyone know it?",
        {"op": "find_papers", "topic": "measuring how many people fly to split learning"},
    ),
    ("top labs for split learning", {"op": "top_institution", "topic": "split learning"}),
    (
        "what university has the most papers on dialogue?",
        {"op": "top_institution", "topic": "dialogue", "place_kind": "university"},
    ),
    (
        "which industry lab publishes the most on LLM agents?",
        {"op": "top_institution", "topic": "LLM agents", "place_kind": "company"},
    ),
    (
        "best schools for argument mining",
        {"op": "top_institution", "topic": "argument mining", "place_kind": "university"},
    ),
    (
        "which companies had the most papers at ACL 2022?",
        {
            "op": "top_institution",
            "venue": "ACL",
            "year_from": 2022,
            "year_to": 2022,
            "place_kind": "company",
        },
    ),
    # A venue left out, however said; "not" before anything else leaves nothing out.
    (
        "hanlin gu's papers that aren't at WWW",
        {"op": "papers_by", "people": ["Hanlin Gu"], "venues_out": ["WWW"]},
    ),
    (
        "federated learning papers, excluding ACL and NAACL",
        {"op": "find_papers", "topic": "federated learning", "venues_out": ["ACL", "NAACL"]},
    ),
    (
        "who works on federated learning outside of WWW",
        {"op": "who_works_on", "topic": "federated learning", "venues_out": ["WWW"]},
    ),
    # "orgs", a venue before "year", a word hyphenated into a topic ("mixture-of-experts").
    (
        "which orgs publish most on federated learning",
        {"op": "top_institution", "topic": "federated learning"},
    ),
    ("which acl year has the most papers", {"op": "top_year", "venue": "ACL"}),
    (
        "whats the most cited mixture-of-experts paper in here",
        {"op": "find_papers", "topic": "mixture-of-experts", "sort": "citations", "limit": 5},
    ),
    # Words papers write after "with" are the topic's, not a place's.
    (
        "anyone doing exoplanet detection with deep learning?",
        {"op": "who_works_on", "topic": "exoplanet detection with deep learning"},
    ),
    (
        "who works on fairness in artificial intelligence",
        {"op": "who_works_on", "topic": "fairness in artificial intelligence"},
    ),
    (
        "papers on bias in natural language processing",
        {"op": "find_papers", "topic": "bias in natural language processing"},
    ),
]


def _fold(query: dict[str, object]) -> dict[str, object]:
    out = dict(query)
    if "people" in out:
        out["people"] = [str(p).lower() for p in out["people"]]  # type: ignore[attr-defined]
    return out


@pytest.mark.parametrize(("question", "expected"), PHRASINGS)
def test_phrasings_are_read_as_the_same_query(answerer, question, expected):
    assert _fold(_read(answerer, question)) == _fold(expected)


def test_chit_chat_never_changes_the_answer(answerer):
    plain = answerer.ask("who does Hanlin Gu work with?")
    chatty = answerer.ask(
        "hey bot!! quick q, could you please tell me who does Hanlin Gu work with? thanks a lot"
    )
    assert plain.people, plain.text  # else two empty answers would compare equal
    assert [p["name"] for p in chatty.people] == [p["name"] for p in plain.people]
    assert chatty.text == plain.text


def test_a_misspelt_name_is_read_as_the_person_and_said_so(answerer):
    a = answerer.ask("who does Hanlin Guu work with?")
    assert a.query is not None and a.query["people"] == ["Hanlin Gu"]
    assert any("Hanlin Gu" in n for n in a.notes)


def test_an_unknown_person_is_not_in_the_records(answerer):
    a = answerer.ask("who does Jane Wobbleton collaborate with?")
    assert "not in the records" in a.text and a.people == [] and a.sources == []


def test_one_known_and_one_unknown_person_says_which_is_missing(answerer):
    a = answerer.ask("has Andrew Ng ever written a paper with Hanlin Gu?")
    assert a.text.startswith("Andrew Ng is not in the records") and a.sources == []


def test_a_profile_says_where_the_newest_paper_places_someone_who_moved(answerer):
    a = answerer.ask("which university is Yankai Lin at?")
    m = re.search(r"most recently with ([^(]+) \((\w+ \d{4}) \[(\d+)\]\)", a.text)
    assert m, a.text
    place, cited = m.group(1), a.sources[int(m.group(3)) - 1]
    assert "Renmin" in place and cited.year == max(s.year or 0 for s in a.sources)
    paper = answerer.index.papers([cited.id])[cited.id]
    assert any(au.name == "Yankai Lin" and place in au.affiliations for au in paper.authors)


# --- each operation on the real store ---------------------------------------------------------


def test_count_gives_the_number_as_value_and_lists_most_cited_first(answerer):
    a = answerer.ask("How many papers did Furu Wei publish in 2022?")
    assert isinstance(a.value, int) and a.value > 0
    assert a.sources and all(s.year == 2022 for s in a.sources)
    assert a.text.startswith(f"Furu Wei has {a.value} paper(s) in 2022")
    assert a.people == []  # the person asked about is not part of the answer


def test_most_cited_is_first_and_is_the_value(answerer):
    a = answerer.ask("what is Furu Wei's most cited paper?")
    papers = answerer._papers(
        list(answerer.people.record(answerer.names.lookup("Furu Wei").people[0].id).paper_ids)
    )
    best = max(papers, key=lambda p: p.citation_count or 0)
    assert a.value == best.title and a.sources[0].title == best.title


def test_joint_papers_list_only_papers_by_both(answerer):
    a = answerer.ask("Which papers did Fandong Meng and Zheng Lin write together?")
    assert a.sources
    for s in a.sources:
        assert "Fandong Meng" in s.authors and "Zheng Lin" in s.authors


def test_yes_no_collaboration_has_a_boolean_value(answerer):
    yes = answerer.ask("does Fandong Meng collaborate with Zheng Lin?")
    assert yes.value is True and yes.sources
    no = answerer.ask("has Hanlin Gu ever coauthored with Fandong Meng?")
    assert no.value is False and no.text.startswith("No")


def test_common_coauthors_name_only_people_who_wrote_with_both(answerer):
    a = answerer.ask("common coauthors of Liang Pang and Hainan Zhang")
    assert a.people
    by_n = {s.n: s for s in a.sources}
    for person in a.people:
        assert person["name"] not in {"Liang Pang", "Hainan Zhang"}
        authors = [by_n[n].authors for n in person["papers"]]
        assert any("Liang Pang" in x for x in authors) and any("Hainan Zhang" in x for x in authors)


def test_top_venue_and_year_are_values(answerer):
    venue = answerer.ask("which venue does Fandong Meng publish in most?")
    year = answerer.ask("which year was Fandong Meng most productive?")
    assert venue.value == "ACL" and str(year.value).isdigit()


def test_count_of_coauthors_is_the_total_not_a_display_cap(answerer):
    count = answerer.ask("how many coauthors does Fandong Meng have?")
    listed = answerer.ask("who does Fandong Meng work with?")
    assert isinstance(count.value, int) and count.value > len(listed.people)
    total = (
        f"Fandong Meng has {count.value} coauthor(s) in the records; the {len(listed.people)} with the most"
    )
    assert total in listed.text


def test_a_list_of_coauthors_says_how_many_papers_each_shares(answerer):
    listed = answerer.ask("who does Fandong Meng work with the most?")
    assert listed.intent == "collaborators" and "papers shared in brackets" in listed.text
    for person in listed.people:
        assert f"{person['name']} ({len(person['papers'])})" in listed.text
    assert max(len(p["papers"]) for p in listed.people) > 1


def test_institution_filter_names_only_people_there(answerer):
    a = answerer.ask("who works on dialogue at Tsinghua?")
    assert a.people
    for person in a.people:
        record = answerer.people.record(person["id"])
        assert any("tsinghua" in x.lower() for x in record.affiliations), record.affiliations


@pytest.mark.parametrize(
    "question",
    [
        "who works on quantum error correction for superconducting qubits?",
        "Who should I ask about tokamak plasma disruption prediction?",
        "Which papers are about sourdough fermentation microbiology?",
        "who are the experts on coral reef bleaching?",
    ],
)
def test_absent_topics_name_nobody(answerer, question):
    a = answerer.ask(question)
    assert a.people == [] and a.text.startswith("Nothing in the records is on")


def test_overview_groups_into_cited_themes_newest_first_when_asked(answerer):
    a = answerer.ask("what's new in federated learning?")
    assert a.intent == "overview" and "Theme:" in a.text
    assert re.search(r"The newest is .+ \(\d{4}\) \[\d+\]", a.text)


def test_venue_filter_is_applied(answerer):
    a = answerer.ask("COLING 2025 papers on retrieval augmented generation")
    assert a.sources and all(s.venue and s.venue.startswith("COLING") and s.year == 2025 for s in a.sources)


def test_namesake_evidence_picks_one_and_names_the_others(answerer):
    a = answerer.ask("Who collaborates with Zheng Lin on split learning?")
    assert a.people and not {"Fandong Meng", "Jiangnan Li"} & {p["name"] for p in a.people}


# --- follow-ups build on the previous query ---------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("and on dialogue?", {"op": "collaborators", "people": ["Hainan Zhang"], "topic": "dialogue"}),
        (
            "what did they publish in 2025?",
            {"op": "papers_by", "people": ["Hainan Zhang"], "year_from": 2025, "year_to": 2025},
        ),
        ("and Hanlin Gu?", {"op": "collaborators", "people": ["Hanlin Gu"], "topic": "federated LLMs"}),
        ("how many papers do they have?", {"op": "count", "people": ["Hainan Zhang"], "count_of": "papers"}),
        ("where's he based?", {"op": "profile", "people": ["Hainan Zhang"]}),
        ("who works on split learning?", {"op": "who_works_on", "topic": "split learning"}),
    ],
)
def test_follow_ups_build_on_the_last_query(answerer, question, expected):
    previous = Query(op="collaborators", people=("Hainan Zhang",), topic="federated LLMs")
    assert follow_up(answerer.read(question), previous).to_json() == expected
    answer = answerer.ask(question, previous=previous)
    # (The answer's query also pins the namesake a topic picked, for the turns after it.)
    assert {k: v for k, v in (answer.query or {}).items() if k != "person_ids"} == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "and on federated learning?",
            {"op": "who_works_on", "topic": "federated learning", "institution": "Tsinghua"},
        ),
        (
            "only in 2024?",
            {
                "op": "who_works_on",
                "topic": "dialogue",
                "institution": "Tsinghua",
                "year_from": 2024,
                "year_to": 2024,
            },
        ),
        # A pronoun has no one to point back to; a question of its own stands alone.
        ("who works on split learning?", {"op": "who_works_on", "topic": "split learning"}),
    ],
)
def test_fragments_build_on_a_question_about_no_one(answerer, question, expected):
    previous = Query(op="who_works_on", topic="dialogue", institution="Tsinghua")
    assert follow_up(answerer.read(question), previous).to_json() == expected


def test_a_lower_case_fragment_naming_a_venue_narrows_the_list(answerer):
    previous = Query(op="papers_by", people=("Liang Pang",))
    assert follow_up(answerer.read("just the www ones"), previous).to_json() == {
        "op": "papers_by",
        "people": ["Liang Pang"],
        "venue": "WWW",
    }


@pytest.mark.parametrize(
    ("previous", "question", "expected"),
    [
        (
            Query(op="papers_by", people=("Hanlin Gu",), venue="WWW"),
            "how many is that?",
            {"op": "count", "people": ["Hanlin Gu"], "venue": "WWW", "count_of": "papers"},
        ),
        (
            Query(op="papers_by", people=("Hanlin Gu",)),
            "and how many in 2025?",
            dict(op="count", people=["Hanlin Gu"], year_from=2025, year_to=2025, count_of="papers"),
        ),
        (
            Query(op="collaborators", people=("Hainan Zhang",)),
            "how many?",
            {"op": "count", "people": ["Hainan Zhang"], "count_of": "collaborators"},
        ),
        (
            Query(op="find_papers", topic="federated learning"),
            "how many are there",
            {"op": "count", "topic": "federated learning", "count_of": "papers"},
        ),
        # A count question of its own is not a follow-up.
        (
            Query(op="papers_by", people=("Hanlin Gu",)),
            "how many papers are on split learning?",
            {"op": "count", "topic": "split learning", "count_of": "papers"},
        ),
    ],
)
def test_a_bare_how_many_counts_what_the_turn_before_listed(answerer, previous, question, expected):
    assert follow_up(answerer.read(question), previous).to_json() == expected
    answer = answerer.ask(question, previous=previous)
    assert answer.query == expected and isinstance(answer.value, int)


def test_query_json_round_trips_and_rejects_junk():
    q = Query(op="papers_by", people=("A B",), sort="citations", limit=3, year_from=2020)
    assert Query.from_json(q.to_json()) == q
    for bad in (
        {"op": "nope"},
        {"op": "joint_papers", "people": ["A"]},
        {"op": "count", "people": ["A"], "limit": "x"},
    ):
        with pytest.raises(ValueError):
            Query.from_json(bad)


def test_names_typed_another_way_find_their_person(answerer):
    # A hyphenated given name typed without its hyphen; a given name typed in full that the records
    # print short (a curated nickname table); each only when the records hold that other spelling.
    assert _read(answerer, "whats tat seng chua been up to")["people"] == ["Tat-Seng Chua"]
    assert _read(answerer, "what has daniel roth published?")["people"] == ["Dan Roth"]


def test_a_surname_alone_names_its_one_bearer_when_the_papers_never_use_it(answerer):
    rows = [r for f in sorted((SAMPLE / "paperlists").glob("*.json")) for r in json.loads(f.read_text())]
    text = " ".join(f"{r.get('title', '')} {r.get('abstract', '')}" for r in rows).lower()
    bearers: dict[str, set[str]] = {}
    for r in rows:
        for name in (a.strip() for a in r["author"].split(";")):
            if len(name.split()) == 2:
                bearers.setdefault(name.split()[-1].lower(), set()).add(name)
    # One bearer, and no word of the papers shares even its stem.
    surname, (full,) = next(
        (s, b) for s, b in sorted(bearers.items()) if len(b) == 1 and len(s) >= 7 and s[:-2] not in text
    )
    assert _read(answerer, f"what did {surname} publish?")["people"] == [full]


def test_an_institution_named_by_initials_and_a_word_matches_the_spelt_out_name():
    from scholarbot.answers.linking import institution_matches

    assert institution_matches("IIT Bombay", "Indian Institute of Technology Bombay")
    assert institution_matches("UC Berkeley", "University of California, Berkeley")
    assert not institution_matches("IIT Delhi", "Indian Institute of Technology Bombay")
    assert not institution_matches("UC Berkeley", "University of California, Los Angeles")
    # "Uni Hamburg": words such as "of" between the named words do not matter; another place does.
    assert institution_matches("Uni Hamburg", "University of Hamburg")
    assert not institution_matches("Uni Hamburg", "HAW Hamburg")
    assert institution_matches("Oslo uni", "University of Oslo")
    # A lab and its organisation in the other order, every word of the name there.
    assert institution_matches("Alibaba DAMO Academy", "DAMO Academy, Alibaba Group")
    assert institution_matches(
        "Cambridge Language Technology Lab", "Language Technology Lab, University of Cambridge"
    )
    assert not institution_matches("Alibaba DAMO Academy", "Academy of Alibaba Studies")
    # The initials start where a name does: IIT Delhi is not the end of IIIT Delhi's name.
    assert not institution_matches("IIT Delhi", "Indraprastha Institute of Information Technology Delhi")
    assert institution_matches("IIT Delhi", "Dept. of CSE, Indian Institute of Technology Delhi, India")


def test_an_acronym_expands_to_a_name_an_affiliation_starts_with():
    from scholarbot.answers.linking import Institutions

    places = Institutions(
        ["Nara Institute of Science and Technology", "Zhejiang Province Key Laboratory for Ubiquitous"]
    )
    assert places.expand("NAIST") == "Nara Institute of Science and Technology"
    # Letters that begin words inside an affiliation name a unit of it, not a place.
    assert places.expand("PKLU") is None
    assert places.find(["university", "hamburg"]) == set()


def test_a_places_kind_is_read_from_its_name_and_an_acronym_from_the_places_it_spells():
    from scholarbot.answers.linking import Institutions

    places = Institutions(
        [
            "Korea Advanced Institute of Science and Technology",
            "KAIST",
            "Tencent AI Lab",
            "Allen Institute for AI",
            "NVIDIA",
            "AB Bank",  # its initials are its own acronym: classifying it must not loop
        ]
    )
    kinds = {
        n: places.kind(n) for n in ("KAIST", "Tencent AI Lab", "Allen Institute for AI", "NVIDIA", "AB Bank")
    }
    assert kinds == {
        "KAIST": "university",
        "Tencent AI Lab": "company",
        "Allen Institute for AI": None,
        "NVIDIA": None,
        "AB Bank": None,
    }


def test_a_name_without_its_middle_name_finds_the_one_person_printed_with_it(tmp_path, model_cache):
    a = answerer_over(
        tmp_path,
        model_cache,
        '[{"title": "Robust Federated Learning", "author": "Neil Zhenqiang Gong; Ann Lee"},'
        ' {"title": "Poisoning Attacks", "author": "Neil Zhenqiang Gong; Bo Ray"}]',
    )
    assert _read(a, "neil gong papers")["people"] == ["Neil Zhenqiang Gong"]


@pytest.mark.parametrize(
    ("question", "english"),
    [
        ("Welche Arbeiten hat Hanlin Gu veröffentlicht?", False),
        ("¿Quién trabaja en aprendizaje federado dividido?", False),
        ("谁在研究联邦学习？", False),
        # Typos, acronyms and names the records lack are English enough.
        ("fedrated lerning papers", True),
        ("GNN LLM RAG papers", True),
        ("geoffrey hinton coauthors?", True),
    ],
)
def test_a_question_in_another_language_is_told_what_the_bot_reads(answerer, question, english):
    a = answerer.ask(question)
    assert ("only read questions in English" in a.text) is not english, a.text
    if not english and "Hanlin Gu" in question:
        assert "What has Hanlin Gu published?" in a.text


def test_the_one_at_a_place_picks_a_namesake_of_the_last_answer(answerer):
    previous = Query(op="profile", people=("Zheng Lin",))
    assert follow_up(answerer.read("the one at Tsinghua"), previous).to_json() == {
        "op": "profile",
        "people": ["Zheng Lin"],
        "institution": "Tsinghua",
    }


def test_a_word_of_a_name_the_thread_asked_about_is_that_person(answerer):
    previous = Query(op="collaborators", people=("Hainan Zhang",))
    where = answerer.ask("where's hanlin based", previous=previous, earlier=["Hainan Zhang", "Hanlin Gu"])
    assert where.query == {"op": "profile", "people": ["Hanlin Gu"]}, where.query
    # Without that person in the conversation, the word is read as it stands.
    assert answerer.ask("where's hanlin based", previous=previous).query.get("people") != ["Hanlin Gu"]


# A paper described at length: what the question asks is said around the description, and a cue
# word inside it ("someone", "summary", "total", "people") asks nothing.
DESCRIBED_AT_LENGTH: list[tuple[str, str]] = [
    (
        "is there work showing fact-checking pipelines break when someone injects machine-generated "
        "fake documents into the evidence collection?",
        "find_papers",
    ),
    (
        "paper on summarizing documents into another language with little parallel data, where one "
        "decoder writes the same-language summary and then the translated one",
        "find_papers",
    ),
    (
        "what was that paper that splits people in an online discussion into pro and con camps by "
        "embedding the reply graph",
        "find_papers",
    ),
    (
        "few-round distributed algorithms for maximizing diminishing-returns set functions under a "
        "budget on total item cost",
        "find_papers",
    ),
    # ...but what is said around it still asks: who wrote it, how many there are.
    (
        "the paper that trains summarizers across languages with one decoder writing both "
        "summaries, who wrote it?",
        "paper_authors",
    ),
    (
        "how many papers on cross-lingual summarization where one decoder writes both summaries "
        "in a single output?",
        "count",
    ),
    ("total nlp papers in 2023?", "count"),
    ("what's the total for 2023?", "count"),
]


@pytest.mark.parametrize(("question", "op"), DESCRIBED_AT_LENGTH)
def test_a_word_inside_a_description_asks_nothing(answerer, question, op):
    assert _read(answerer, question)["op"] == op


def test_capitalised_words_amid_a_description_are_not_a_title(answerer):
    read = _read(
        answerer,
        "multimodal FL on IoT devices where slow clients are handled by distilling from a big "
        "pretrained VLM on the server first",
    )
    assert read["op"] == "find_papers" and "slow clients" in str(read["topic"]), read
    # A title typed into a short question is still one.
    assert _read(answerer, "who wrote Attention Is All You Need?")["topic"] == "Attention Is All You Need"


def test_a_capitalised_term_inside_a_description_is_no_place(answerer):
    described = _read(
        answerer,
        "forecasting soil water content with a graph conv model where the graphs are built from DTW "
        "similarity between hydrological units",
    )
    assert described.get("institution") is None and "DTW similarity" in str(described["topic"]), described
    assert _read(answerer, "anything from PKU on parsing?").get("institution") == "PKU"
    assert _read(answerer, "papers from PKU lately").get("institution") == "PKU"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # "on top of" and "top-down" rank nothing; "top 3" does.
        ("contrastive learning on top of multi-instance bags for distant supervision", None),
        ("top-down attention for image captioning", None),
        ("top-3 papers on parsing", "citations"),
    ],
)
def test_top_ranks_only_as_a_ranking(answerer, question, expected):
    read = _read(answerer, question)
    assert read.get("sort") == expected, read
    if expected:
        assert read["topic"] == "parsing"


def test_on_their_own_is_a_role_only_of_someone(answerer):
    robots = _read(answerer, "can robots map a room's acoustics on their own?")
    assert robots.get("role") is None and "on their own" in str(robots["topic"])
    assert _read(answerer, "which papers did Hanlin Gu write on his own?").get("role") == "solo"
    assert _read(answerer, "which ones did they write on their own?").get("role") == "solo"


def test_a_group_papers_come_from_is_no_one_asked_for(answerer):
    read = _read(answerer, "ACL 2021 paper from a Polish group on personalizing offensive-content detection")
    assert read["op"] == "find_papers" and read.get("institution") is None, read
    # "which groups work on X" still asks for them.
    assert _read(answerer, "which groups work on federated learning?")["op"] == "who_works_on"


def test_has_anyone_done_asks_for_the_work(answerer):
    described = _read(
        answerer,
        "has anyone adapted the utterance-then-conversation hierarchy to transformers in task-oriented "
        "dialogue response generation?",
    )
    assert described["op"] == "find_papers", described
    assert str(described["topic"]).startswith("utterance-then-conversation hierarchy")
    # A field tried asks who tried it, without the verb; "worked on" asks who.
    assert _read(answerer, "has anyone tried federated learning for medical imaging?") == {
        "op": "who_works_on",
        "topic": "federated learning for medical imaging",
    }
    assert _read(answerer, "has anyone worked on federated learning?")["op"] == "who_works_on"
