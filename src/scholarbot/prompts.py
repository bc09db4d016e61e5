"""Prompt templates: loads prompts/<name>.md, checks its placeholders, and owns the CANNOT_ANSWER sentinel."""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from scholarbot.errors import PromptTemplateError

#: What the model says when the sources do not answer; the prompt, the bot and the tests share it.
CANNOT_ANSWER = "I cannot answer"

#: A line such as "## system" or "## user" starts the message for that role.
_ROLE_LINE = re.compile(r"^##\s+(system|user)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Prompt:
    """A validated template whose sections ("## system", "## user") become chat messages."""

    name: str
    text: str
    placeholders: frozenset[str]

    def messages(self, **values: str) -> list[tuple[str, str]]:
        """Fill the placeholders and return (role, content) pairs in file order."""
        if set(values) != self.placeholders:
            raise PromptTemplateError(
                f"prompt {self.name!r} needs {sorted(self.placeholders)}, got {sorted(values)}"
            )
        # Split before filling, so a "## user" line inside the filled-in data cannot open a new message.
        parts = _ROLE_LINE.split(self.text)
        if len(parts) == 1:
            return [("user", self.text.format(**values).strip())]
        return [
            (role.lower(), body.format(**values).strip())
            for role, body in zip(parts[1::2], parts[2::2], strict=True)
        ]


def prompts_dir() -> Path:
    """Where prompts live: $SCHOLARBOT_PROMPTS, the repository's prompts/, or the packaged copy."""
    env = os.environ.get("SCHOLARBOT_PROMPTS")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2] / "prompts"  # src/scholarbot/prompts.py -> <repo>/prompts
    if repo.is_dir():
        return repo
    return Path(str(resources.files("scholarbot") / "data" / "prompts"))


def load_prompt(name: str, required: set[str]) -> Prompt:
    """Read prompts/<name>.md and check that its placeholders are exactly `required`."""
    path = prompts_dir() / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise PromptTemplateError(f"prompt {name!r} could not be read from {path}: {e}") from e
    try:
        found = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as e:  # a lone "{" or "}": literal braces must be written {{ and }}
        raise PromptTemplateError(f"{path}: {e} (write literal braces as {{{{ and }}}})") from e
    missing, unknown = required - found, found - required
    if missing or unknown:
        raise PromptTemplateError(
            f"{path}: placeholders do not match the code: "
            f"missing {sorted(missing)}, unknown {sorted(unknown)}"
        )
    return Prompt(name=name, text=text, placeholders=frozenset(required))
