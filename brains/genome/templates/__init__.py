"""Built-in genome templates: FEAGI's own genome files, shipped as package data."""

from __future__ import annotations

from functools import cache
from importlib import resources

from brains.genome.errors import UnknownTemplateError
from brains.genome.model import Genome
from brains.genome.parser import load_genome

TEMPLATE_FILES: dict[str, str] = {
    "barebones": "barebones.json",
    "essential": "essential.json",
}
TEMPLATE_NAMES: tuple[str, ...] = tuple(TEMPLATE_FILES)


def template_bytes(name: str) -> bytes:
    """The template's JSON exactly as shipped."""
    try:
        filename = TEMPLATE_FILES[name]
    except KeyError:
        known = ", ".join(TEMPLATE_NAMES)
        raise UnknownTemplateError(f"no genome template {name!r}; known: {known}") from None
    return resources.files(__name__).joinpath(filename).read_bytes()


@cache
def load_template(name: str) -> Genome:
    """The parsed template (cached: genomes are immutable, so sharing is safe)."""
    return load_genome(template_bytes(name))
