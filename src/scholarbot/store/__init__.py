"""The Chroma store and the embedders: the only package that knows Chroma's shapes."""
