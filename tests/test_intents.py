"""Question parsing: intent and slots, as a table."""

from __future__ import annotations

import pytest

from scholarbot.answers.reader import MAX_QUESTION_CHARS, parse_question

CASES = [
    # question, intent, person, topic
    ("Who collaborates with Hainan Zhang on federated LLMs?", "collab", "Hainan Zhang", "federated LLMs"),
    ("who collaborates with hainan zhang", "collab", "hainan zhang", None),
    ("Who are the coauthors of Zheng Lin?", "collab", "Zheng Lin", None),
    ("Who has worked with Qiang Yang on federated learning?", "collab", "Qiang Yang", "federated learning"),
    ("Hanlin Gu's collaborators on privacy", "collab", "Hanlin Gu", "privacy"),
    (
        "What has Eiichiro Sumita published on improving low-resource nmt?",
        "papers_by",
        "Eiichiro Sumita",
        "improving low-resource nmt",
    ),
    ("What did Zhiming Zheng publish?", "papers_by", "Zhiming Zheng", None),
    ("papers by Noémie Elhadad about clinical notes", "papers_by", "Noémie Elhadad", "clinical notes"),
    ("Which papers by Hainan Zhang are about privacy?", "papers_by", "Hainan Zhang", "privacy"),
    (
        "Has Qiang Yang published anything on federated learning?",
        "papers_by",
        "Qiang Yang",
        "federated learning",
    ),
    ("Who does Hanlin Gu work with?", "collab", "Hanlin Gu", None),
    ("Who did Hanlin Gu collaborate with on privacy?", "collab", "Hanlin Gu", "privacy"),
    ("What does Zheng Lin work on?", "profile", "Zheng Lin", None),
    ("Where does Hanlin Gu work?", "profile", "Hanlin Gu", None),
    ("What is Hanlin Gu's affiliation?", "profile", "Hanlin Gu", None),
    ("Who are the experts on split learning?", "topic", None, "split learning"),
    ("Who has worked on speaker diarization?", "topic", None, "speaker diarization"),
    ("What are the open problems in federated learning?", "overview", None, "federated learning"),
    ("Summarize the research on hallucination in MLLMs", "overview", None, "hallucination in MLLMs"),
    ("Who is Sainbayar Sukhbaatar?", "profile", "Sainbayar Sukhbaatar", None),
    ("tell me about Zhang Hainan", "profile", "Zhang Hainan", None),
    ("Compare Hanlin Gu and Qiang Yang", "compare", "Hanlin Gu", None),
    ("Who works on split learning over 6G networks?", "topic", None, "split learning over 6G networks"),
    (
        "Which paper proposes a multimodal sarcasm detection method based on dual generative processes?",
        "find_paper",
        None,
        None,
    ),
    ("can you train a denoiser without clean images?", "find_paper", None, None),
    ("federated alignment of vision-language models", "find_paper", None, None),
]


@pytest.mark.parametrize(("question", "intent", "person", "topic"), CASES)
def test_intent_table(question, intent, person, topic):
    parsed = parse_question(question)
    assert parsed.intent == intent
    assert parsed.person == person
    if topic is not None:
        assert parsed.topic == topic
    if intent == "find_paper":
        assert parsed.topic  # the whole question becomes the search text


def test_compare_names_both_people():
    parsed = parse_question("compare Hanlin Gu with Qiang Yang on federated learning")
    assert (parsed.person, parsed.other, parsed.topic) == ("Hanlin Gu", "Qiang Yang", "federated learning")


def test_overlong_question_is_cut_not_rejected():
    parsed = parse_question("Which paper studies " + "graph neural networks " * 400)
    assert parsed.intent == "find_paper"
    assert parsed.topic is not None and len(parsed.topic) <= MAX_QUESTION_CHARS
