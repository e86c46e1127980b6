"""The language list is one place: copier.yml's choices and `_subdirectory` agree with it."""

from __future__ import annotations

import jinja2
import pytest
import yaml

from generator._languages import LANGUAGES, LanguageSpec
from tests.helpers import TEMPLATES

CONFIG = yaml.safe_load((TEMPLATES / "copier.yml").read_text(encoding="utf-8"))


def test_copier_offers_exactly_the_languages_scaffold_knows() -> None:
    choices = CONFIG["language"]["choices"]
    assert choices == {spec.label: key for key, spec in LANGUAGES.items()}


@pytest.mark.parametrize("spec", LANGUAGES.values(), ids=list(LANGUAGES))
def test_copier_picks_the_language_s_template_folder(spec: LanguageSpec) -> None:
    folder = jinja2.Environment(autoescape=False).from_string(CONFIG["_subdirectory"])
    assert folder.render(language=spec.key) == spec.template_dir
    assert (TEMPLATES / spec.template_dir).is_dir()
