"""Chat as typed in Discord: informal spellings, a question wrapped in other sentences, thanks."""

from __future__ import annotations

import pytest

from scholarbot.answers.chat import beside_question, focus, is_thanks, normalise, plain, two_questions


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("whats hongzhi yin's most cited paper", "what's hongzhi yin's most cited paper"),
        ("Whats new in RAG", "What's new in RAG"),
        ("hey can u tell me abt ur data", "hey can you tell me about your data"),
        ("who does sb work w/ on MT", "who does somebody work with on MT"),
        ("how many ijcai 2024 papers r there", "how many ijcai 2024 papers are there"),
        # Emoji and ellipses end a sentence, as in chat.
        ("morning all ☕ … who wrote it?", "morning all . . who wrote it?"),
        # Names spelt like chat words stay as typed.
        ("papers by U Kang", "papers by U Kang"),
        ("coauthors of Jungseock Im", "coauthors of Jungseock Im"),
        # Inside words and contractions nothing changes.
        ("urban computing, you're sure", "urban computing, you're sure"),
        # Interjections around a question are chat; the same words in a question are its words.
        ("hm ok, which orgs show up most then", "which orgs show up most then"),
        ("fair. is she at waterloo?", "is she at waterloo?"),
        ("np - who's their top author", "who's their top author"),
        ("what's her h-index btw", "what's her h-index"),
        ("fair ranking papers?", "fair ranking papers?"),
        ("NP completeness papers", "NP completeness papers"),
        ("Oh Alice papers", "Oh Alice papers"),
        ("ok nice", "nice"),
        # Two kinds of places asked for at once.
        ("which labs/universities work on MT", "which labs or universities work on MT"),
        ("encoder/decoder papers", "encoder/decoder papers"),
    ],
)
def test_informal_spellings_become_the_words_they_stand_for(typed, read):
    assert normalise(typed) == read


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("who works on code-mixing? need someone for a collab", "who works on code-mixing?"),
        (
            "Hi! I'm new here and I work on parsing. Who works on dependency parsing? Thanks!",
            "Who works on dependency parsing?",
        ),
        # Initials and abbreviations do not end a sentence.
        ("Who does Christopher D. Manning work with?", "Who does Christopher D. Manning work with?"),
        ("Any papers on e.g. RLHF? ok thanks", "Any papers on e.g. RLHF?"),
        # A question that leans on the other sentences keeps them.
        (
            "I read Yoav Goldberg's book. Who does he work with?",
            "I read Yoav Goldberg's book. Who does he work with?",
        ),
        # Chat before the question inside one sentence, or after emoji.
        (
            "sorry if this is dumb, first week here 😅 anyway how many papers did X publish in 2022?",
            "how many papers did X publish in 2022?",
        ),
        (
            "morning all ☕ … who wrote BitFit and where was it published?",
            "who wrote BitFit and where was it published?",
        ),
        (
            "hey all, quick q for the bot: who at edinburgh works on summarization?",
            "who at edinburgh works on summarization?",
        ),
        # A colon inside a question that is not chat stays: "Papers on X: which are best?".
        (
            "Papers on graph transformers: which are the best?",
            "Papers on graph transformers: which are the best?",
        ),
        # A title with "!" or "?!" in it is no sentence break.
        (
            "What has Daniel Khashabi published on time waits for no one! analysis and challenges?",
            "What has Daniel Khashabi published on time waits for no one! analysis and challenges?",
        ),
        (
            "Papers by Dafna Shahaf on how did this get funded?! automatically identifying quirky?",
            "Papers by Dafna Shahaf on how did this get funded?! automatically identifying quirky?",
        ),
        # A short question about "it" leans on the sentence before; a longer one names its thing.
        (
            "there was a paper about non-transitive dice. who wrote it?",
            "there was a paper about non-transitive dice. who wrote it?",
        ),
        (
            "morning all. who wrote BitFit and where was it published?",
            "who wrote BitFit and where was it published?",
        ),
        (
            "there's a paper about a wordle-like guessing game. which paper?",
            "there's a paper about a wordle-like guessing game. which paper?",
        ),
        # One sentence, or no question mark anywhere: the message as it is.
        ("papers on parsing. newest first", "papers on parsing. newest first"),
        # A title with a question mark in it is not cut there.
        (
            "who wrote How Good is Your Tokenizer? On the Monolingual Performance of Multilingual Models",
            "who wrote How Good is Your Tokenizer? On the Monolingual Performance of Multilingual Models",
        ),
        ("who works on parsing", "who works on parsing"),
        # A short question asking for the thing the sentences before describe leans on them.
        (
            "saw a paper about robots stacking blocks into bridges, planned with ASP. anyone have the link?",
            "saw a paper about robots stacking blocks into bridges, planned with ASP. anyone have the link?",
        ),
        (
            "a paper on Chinese NER feeding radical structure to a transformer. anyone remember the name?",
            "a paper on Chinese NER feeding radical structure to a transformer. anyone remember the name?",
        ),
    ],
)
def test_a_message_is_read_from_its_question(message, question):
    assert focus(normalise(message)) == question


@pytest.mark.parametrize(
    ("message", "thanks"),
    [
        ("thx that was helpful!", True),
        ("thanks", True),
        ("Thank you so much!!", True),
        ("great, thanks :)", True),
        ("ty", True),
        ("thx!! u rock", True),
        ("thanks, who works on parsing?", False),
        ("ok", False),
        ("cool paper on parsing", False),
        ("", False),
    ],
)
def test_a_message_that_only_thanks_is_recognised(message, thanks):
    assert is_thanks(message) is thanks


@pytest.mark.parametrize(
    ("message", "words"),
    [
        # Discord's markup says how a message looks or whom it pings, not what it asks.
        (
            "**who** works on _retrieval-augmented generation_??",
            "who works on retrieval-augmented generation??",
        ),
        ("<@!99> who works on RAG? <:pog:1234>", "who works on RAG?"),
        ("@everyone who works on humor :sweat_smile: <#888> <@&5555>", "who works on humor"),
        ("> idk if anyone saw this\nwho works on humor detection?", "who works on humor detection?"),
        ("> Attention Is All You Need", "Attention Is All You Need"),
        ("```who works on RAG```", "who works on RAG"),
        ("ｗｈｏ ｗｏｒｋｓ ｏｎ ＲＡＧ？", "who works on RAG?"),
        (
            "who wrote [this](https://aclanthology.org/2020.coling-main.519/)?",
            "who wrote this https://aclanthology.org/2020.coling-main.519/?",
        ),
        # Underscores inside words, times and arithmetic are not markup.
        ("papers on snake_case names", "papers on snake_case names"),
        ("at 10:30: who works on MT?", "at 10:30: who works on MT?"),
        ("what is 2*3*4", "what is 2*3*4"),
        ("# of jailbreak papers at COLM", "# of jailbreak papers at COLM"),
        ("## who works on RAG", "who works on RAG"),
    ],
)
def test_discord_markup_is_read_as_the_words_it_wraps(message, words):
    assert " ".join(plain(message).split()) == words


@pytest.mark.parametrize(
    ("message", "parts"),
    [
        (
            "who is Ann Lee and what's her most cited paper?",
            ("who is Ann Lee?", "what's her most cited paper?"),
        ),
        (
            "how many papers does X have? who are her coauthors?",
            ("how many papers does X have?", "who are her coauthors?"),
        ),
        # One question: two people, a topic of two parts, a follow-up and what it asks.
        ("Which papers did Ann Lee and Bo Chen write together?", None),
        ("who works on RAG and LLM agents?", None),
        ("what about Ann Lee? what does she work on", None),
    ],
)
def test_a_message_asking_two_questions_is_split_into_them(message, parts):
    assert two_questions(message) == parts


@pytest.mark.parametrize(
    ("message", "whole"),
    [
        # Sentences beside the question that are no chat about the asker may describe what it seeks...
        (
            "does an image and text model help misinformation detection? paper feeding VLM embeddings "
            "into a small classifier, finding separate encoders fused work better",
            True,
        ),
        ("is there something on calls going off the rails? healthcare phone setting", True),
        (
            "can swapping words into other languages help zero-shot transfer? I remember a paper that "
            "fine-tunes on sentences mixed across languages",
            True,
        ),
        # What the asker works on, said at length, describes what they look for too...
        (
            "we are attacking a credit-scoring model where perturbed inputs must obey business rules "
            "between features. is there a paper on adversarial inputs respecting domain rules?",
            True,
        ),
        # ...not when they are about the asker or someone named, or when nothing was left out.
        ("is there a paper on X? I need it for my thesis", False),
        ("who's thien huu nguyen? keep seeing his name on event extraction papers", False),
        ("who works on parsing?", False),
    ],
)
def test_sentences_beside_a_question_are_offered_when_they_are_no_chat(message, whole):
    assert (beside_question(message) == message) is whole
    assert beside_question(message) in (message, None)
