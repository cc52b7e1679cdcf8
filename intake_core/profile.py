"""Profile letters of the dispatch code: Т терапевт, П педиатр, В ВОП, Ф фельдшер, У специалист."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from intake_core.errors import InvalidValue

PROFILES_FILE = Path(__file__).parent / "data" / "profiles.yaml"


class _LetterSpec(BaseModel):
    name: str
    match: list[str] = Field(default_factory=list)


class _ProfilesSpec(BaseModel):
    letters: dict[str, _LetterSpec]
    fallback: str


@dataclass(frozen=True, slots=True)
class ProfileLetters:
    """The letters an MO uses, their names, and how a doctor's profile text maps to one."""

    names: dict[str, str]
    stems: tuple[tuple[str, str], ...]  # (stem, letter) in file order
    fallback: str

    def name(self, letter: str) -> str:
        return self.names.get(letter, letter)

    def letter_for(self, profile: str) -> str:
        """The letter of a profile as the MO's reference writes it («врач общей практики»)."""
        text = profile.casefold()
        return next((letter for stem, letter in self.stems if stem in text), self.fallback)


class ProfilesRejected(InvalidValue):
    """The profile letters file contradicts itself; the message names the file, in Russian."""

    code = "invalid_profiles"


def load_profiles(path: Path = PROFILES_FILE) -> ProfileLetters:
    spec = _ProfilesSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    if spec.fallback not in spec.letters:
        raise ProfilesRejected(
            f"{path}: буква по умолчанию «{spec.fallback}» не описана среди букв профилей"
        )
    for letter in spec.letters:
        if len(letter) != 1:
            raise ProfilesRejected(f"{path}: буква профиля — один символ, а не «{letter}»")
    return ProfileLetters(
        names={letter: s.name for letter, s in spec.letters.items()},
        stems=tuple(
            (stem.casefold(), letter) for letter, s in spec.letters.items() for stem in s.match
        ),
        fallback=spec.fallback,
    )
