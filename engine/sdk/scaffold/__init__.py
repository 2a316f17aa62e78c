"""`manzoori plugin new`: a new party's package, pip-installable and working as written.

The files under ``package/`` are the package; those ending in ``.j2`` are Jinja2
templates filled in with the party's names, the others are copied as they are (the
letterhead is itself a template, rendered by the engine for each document). A path part
``__module__`` becomes the package's module name.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from engine.contract.contract_version import CONTRACT_VERSION
from engine.errors import ManzooriError

TEMPLATES = Path(__file__).parent / "package"
CODE = re.compile(r"^[a-z][a-z0-9-]{1,30}$")
PREFIX = re.compile(r"^[A-Z]{2,5}$")
SMALL_WORDS = {"and", "of", "the"}

#: Names the record gives for the IPMG's members beyond the four provinces (context/003:
#: "Pakistan Administered Kashmir (PAK) and Gilgit-Baltistan (GB)"; context/002: "Azad Jammu
#: Kashmir and Gilgit-Baltistan"), so that `manzoori plugin new gilgit-baltistan` needs no options.
KNOWN = {
    "gilgit-baltistan": ("Gilgit-Baltistan", "گلگت بلتستان", "GB", "region"),
    "azad-jammu-and-kashmir": ("Azad Jammu and Kashmir", "آزاد جموں و کشمیر", "AJK", "region"),
}


@dataclass(frozen=True)
class NewParty:
    code: str
    """The party code, also the entry point's name: `gilgit-baltistan`."""
    name: str
    """The English name of the territory: `Gilgit-Baltistan`."""
    name_ur: str
    prefix: str
    """What its items' references start with: `GB` in `GB-JR-2026-0001`."""
    kind: str

    @property
    def module(self) -> str:
        return "manzoori_" + self.code.replace("-", "_")

    @property
    def distribution(self) -> str:
        return "manzoori-" + self.code

    @property
    def classes(self) -> str:
        """The prefix of its form classes: `GilgitBaltistan`."""
        return "".join(part.capitalize() for part in self.code.split("-"))


def describe(code: str, *, name: str | None = None, name_ur: str | None = None,
             prefix: str | None = None, kind: str | None = None) -> NewParty:
    """The new party's names, from the options given, the record, or its code."""
    if not CODE.match(code):
        raise ManzooriError(f"{code!r} cannot be a party code: use 2 to 31 lower-case letters, "
                            "digits and hyphens, starting with a letter (e.g. gilgit-baltistan)")
    known_name, known_ur, known_prefix, known_kind = KNOWN.get(code, (None, None, None, None))
    words = code.split("-")
    name = name or known_name or " ".join(
        word if word in SMALL_WORDS and index else word.capitalize() for index, word in enumerate(words))
    name_ur = name_ur or known_ur
    if not name_ur or len(name_ur.strip()) < 2:
        raise ManzooriError(f"give the Urdu name of {name} with --name-ur (every label of a party "
                            "is in English and Urdu)")
    prefix = prefix or known_prefix or "".join(word[0] for word in words if word not in SMALL_WORDS).upper()
    if not PREFIX.match(prefix):
        raise ManzooriError(f"--code {prefix!r} cannot start references: use 2 to 5 capital letters "
                            "(e.g. GB for GB-JR-2026-0001)")
    kind = kind or known_kind or "province"
    if kind not in ("province", "region"):
        raise ManzooriError(f"--kind {kind!r}: a new party from this scaffold is a province or a region")
    return NewParty(code, name.strip(), name_ur.strip(), prefix, kind)


def _environment() -> Environment:
    # The output is Python, TOML and Markdown, not HTML: values go in through the `quoted`
    # filter, a double-quoted string literal that Python and TOML both read as the value.
    environment = Environment(undefined=StrictUndefined, keep_trailing_newline=True,
                              autoescape=False)  # noqa: S701 - no HTML is generated here
    environment.filters["quoted"] = lambda value: json.dumps(value, ensure_ascii=False)
    return environment


def write_package(party: NewParty, into: Path) -> list[Path]:
    """Write the package into the folder `into`, which must not exist yet (or be empty)."""
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise ManzooriError(f"{into} already exists and is not empty; nothing was written "
                            "(choose another folder with -o, or remove it)")
    environment = _environment()
    values = {**asdict(party), "module": party.module, "distribution": party.distribution,
              "classes": party.classes, "contract": str(CONTRACT_VERSION)}
    written = []
    for source in sorted(TEMPLATES.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        relative = Path(str(source.relative_to(TEMPLATES)).replace("__module__", party.module))
        target = into / relative.with_suffix("") if source.suffix == ".j2" else into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        if source.suffix == ".j2":
            text = environment.from_string(text).render(values)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
