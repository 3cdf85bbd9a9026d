"""Prompt templates, read from files rather than buried in code.

The default templates live in the repository's top-level `prompts/` (an editable install or a
source checkout) or, for a regular install, in `<prefix>/share/synthgen/prompts`. A user's
`--prompts DIR` overrides any file it holds; the others fall back to the defaults.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from string import Template

from synthgen.errors import SynthgenError


def default_prompts_dir() -> Path:
    """Where the built-in templates are, for a source checkout or an installed wheel."""
    candidates = [
        Path(__file__).resolve().parents[2] / "prompts",
        Path(sys.prefix) / "share" / "synthgen" / "prompts",
    ]
    for candidate in candidates:
        if (candidate / "self_instruct.txt").is_file():
            return candidate
    raise SynthgenError("built-in prompt templates not found; reinstall synthgen")


class PromptSet:
    """Loads named templates from an override dir first, then the defaults, and renders them."""

    def __init__(self, override_dir: str | Path | None = None):
        self.default_dir = default_prompts_dir()
        self.override_dir = Path(override_dir).expanduser() if override_dir else None
        if self.override_dir is not None and not self.override_dir.is_dir():
            raise SynthgenError(f"--prompts is not a directory: {self.override_dir}")
        self._cache: dict[str, str] = {}

    def text(self, name: str) -> str:
        """Raw template text of `name` (e.g. "self_instruct.txt")."""
        if name not in self._cache:
            path = self.default_dir / name
            if self.override_dir is not None and (self.override_dir / name).is_file():
                path = self.override_dir / name
            try:
                self._cache[name] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise SynthgenError(f"prompt template is not UTF-8: {path}") from None
            except OSError as exc:
                raise SynthgenError(f"cannot read prompt template {path}: {exc.strerror}") from None
            if not self._cache[name].strip():  # an empty override would send the model empty prompts
                raise SynthgenError(f"prompt template is empty: {path}")
        return self._cache[name]

    def render(self, name: str, **values: str) -> str:
        """Fill `${placeholders}`; an unknown placeholder in a user template is a one-line error."""
        try:
            return Template(self.text(name)).substitute(**values).strip()
        except (KeyError, ValueError) as exc:
            raise SynthgenError(f"prompt template {name} has a bad placeholder: {exc}") from None

    def texts(self, names: list[str]) -> dict[str, str]:
        """{name: template text} for `names`: what a run keeps in its folder's prompts/."""
        return {name: self.text(name) for name in names}

    def fingerprint(self, names: list[str]) -> str:
        """Hash of the templates in use, so editing one starts a different run."""
        digest = hashlib.sha256()
        for name in sorted(names):
            digest.update(name.encode() + b"\0" + self.text(name).encode() + b"\0")
        return digest.hexdigest()[:16]
