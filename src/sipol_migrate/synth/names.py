"""Indonesian-looking names by province, and the double-encoded (mojibake) form of a name."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..settings import PACKAGE_DATA
from .dice import Dice

NAMES_FILE = PACKAGE_DATA / "names.yaml"
# Bytes that MySQL's latin1 (cp1252) maps to C1 controls but Python's cp1252 cannot decode.
UNSAFE_BYTES = frozenset(b"\x81\x8d\x8f\x90\x9d")


def double_encode(text: str) -> str:
    """What a utf8mb4 connection reads back when UTF-8 bytes were stored in a latin1 column."""
    raw = text.encode("utf-8")
    if UNSAFE_BYTES & set(raw):
        raise ValueError(f"{text!r}: its UTF-8 holds a byte cp1252 leaves undefined")
    return raw.decode("cp1252")


@dataclass(frozen=True, slots=True)
class Flavour:
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...] = ()
    family_share: float = 0.0
    single_share: float = 0.0
    male_prefix: tuple[str, ...] = ()
    female_prefix: tuple[str, ...] = ()


class NameBook:
    """Draws names; the caller passes its own random generator (determinism stays with it)."""

    def __init__(self, path: Path = NAMES_FILE):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.flavours = {key: Flavour(**{k: tuple(v) if isinstance(v, list) else v
                                         for k, v in spec.items()})
                         for key, spec in data["flavours"].items()}
        self._province_weights = {
            str(code): (list(weights), list(itertools.accumulate(weights.values())))
            for code, weights in data["provinces"].items()}
        self.double_encoded = {g: tuple(v) for g, v in data["double_encoded"].items()}
        self.latin1 = {g: tuple(v) for g, v in data["latin1"].items()}
        self.streets = tuple(data["streets"])
        for names in self.double_encoded.values():
            for name in names:
                double_encode(name)  # fails loudly on an unsafe name

    def flavour_for(self, province: str, rng: Dice) -> Flavour:
        keys, cumulative = self._province_weights.get(province) or self._province_weights["default"]
        return self.flavours[rng.weighted(keys, cumulative)]

    def person_name(self, province: str, female: bool, rng: Dice) -> str:
        flavour = self.flavour_for(province, rng)
        given = flavour.female if female else flavour.male
        prefix = flavour.female_prefix if female else flavour.male_prefix
        parts = [rng.pick(prefix)] if prefix else []
        parts.append(rng.pick(given))
        if flavour.family and rng.random() < flavour.family_share:
            parts.append(rng.pick(flavour.family))
        elif rng.random() >= flavour.single_share:
            parts.append(rng.pick(given))
        return " ".join(dict.fromkeys(parts))  # no repeated word ("Sri Sri")

    def double_encoded_name(self, province: str, female: bool, rng: Dice) -> tuple[str, str]:
        """(the real name, its mojibake as the legacy database returns it)."""
        special = rng.pick(self.double_encoded["female" if female else "male"])
        rest = self.person_name(province, female, rng).split(" ")[-1]
        real = f"{special} {rest}" if rng.random() < 0.7 else f"{rest} {special}"
        return real, double_encode(real)

    def latin1_name(self, province: str, female: bool, rng: Dice) -> str:
        special = rng.pick(self.latin1["female" if female else "male"])
        return f"{special} {self.person_name(province, female, rng).split(' ')[-1]}"

    def address(self, rng: Dice) -> str:
        return (f"Jl. {rng.pick(self.streets)} No. {rng.between(1, 250)} "
                f"RT {rng.between(1, 15):03d}/RW {rng.between(1, 12):03d}")

    def double_encoded_address(self, rng: Dice) -> str:
        special = rng.pick(self.double_encoded["male"] + self.double_encoded["female"])
        return double_encode(f"Jl. {special} No. {rng.between(1, 250)}")
