"""scholarbot: researcher and paper records in Chroma, cited answers, Discord bot and digests."""

__version__ = "0.1.0"
