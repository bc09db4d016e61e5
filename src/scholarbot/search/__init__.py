"""Finding things in the store: papers (index.py, BM25 + vectors) and people by name (directory.py)."""
