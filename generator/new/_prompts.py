"""Interactive prompts (questionary). Only used when stdin is a terminal.

Every prompt is validated as it is typed, with the template's own validator, so a user fixes a
value on the spot instead of starting over. Ctrl-C raises Aborted before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import questionary

from generator._languages import LANGUAGES
from generator.errors import Aborted
from generator.recommender import TRAITS, Recommendation
from generator.template import Question, Template

RECOMMEND = "recommend"


def _ask(prompt: questionary.Question) -> Any:
    try:
        answer = prompt.unsafe_ask()
    except KeyboardInterrupt:
        raise Aborted("cancelled; nothing was written") from None
    if answer is None:  # pragma: no cover - questionary returns None only on abort
        raise Aborted("cancelled; nothing was written")
    return answer


def choose_language_or_recommend() -> str:
    """Ask for a language, offering the recommendation path first."""
    choices = [
        questionary.Choice(
            "Recommend for me (answer a few questions about the service)", RECOMMEND
        ),
        *(questionary.Choice(spec.label, key) for key, spec in LANGUAGES.items()),
    ]
    return str(_ask(questionary.select("Language of the service?", choices=choices)))


def ask_traits(given: Mapping[str, str]) -> dict[str, str]:
    """Ask every trait not given on the command line, each defaulting to the ordinary case."""
    traits = dict(given)
    for trait in TRAITS.values():
        if trait.name in traits:
            continue
        choices = [
            questionary.Choice(f"{value}: {trait.value_help[value]}", value)
            for value in trait.values
        ]
        traits[trait.name] = str(
            _ask(
                questionary.select(
                    trait.question, choices=choices, default=_choice(choices, trait.default)
                )
            )
        )
    return traits


def _choice(choices: list[questionary.Choice], value: str) -> questionary.Choice:
    return next(choice for choice in choices if choice.value == value)


def accept_or_override(recommendation: Recommendation) -> str:
    """Let the user accept the recommended language or pick the other one."""
    recommended = recommendation.language
    other = next(key for key in LANGUAGES if key != recommended)
    choices = [
        questionary.Choice(f"Accept: {LANGUAGES[recommended].label}", recommended),
        questionary.Choice(f"Override: {LANGUAGES[other].label}", other),
    ]
    return str(_ask(questionary.select("Use the recommended language?", choices=choices)))


def ask_question(template: Template, question: Question, answers: Mapping[str, Any]) -> Any:
    """Ask one template question, validated with the template's own validator."""
    default = template.default_for(question, answers)

    def validate(text: str) -> bool | str:
        try:
            value = template.coerce(question, text)
        except Exception as error:
            return str(getattr(error, "message", error))
        return template.problem_with(question, value, answers) or True

    if question.choices:
        labels = [questionary.Choice(label, value) for label, value in question.choices.items()]
        return _ask(questionary.select(question.help, choices=labels, default=default))
    raw = _ask(questionary.text(question.help, default=str(default), validate=validate))
    return template.coerce(question, raw)
