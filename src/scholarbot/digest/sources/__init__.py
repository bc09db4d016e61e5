"""Where digest papers come from: the arXiv API (arxiv.py), OpenAlex (openalex.py), and papers newly
ingested into the store (local.py).

Retries, rate limits and malformed answers are handled in each source, with the helpers of common.py:
the digest sees `Fetched` or `SourceError`.
"""
