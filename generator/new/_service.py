"""`scaffold new` as a library call: gather answers, recommend a language, render the service.

The CLI builds NewOptions from flags; this module decides what is still missing, asks for it on a
terminal (or names the missing flags when there is none), and hands a complete set of answers to
generator.project, which owns copier.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import __version__
from generator import recommender as engine
from generator._git import init_git
from generator._paths import user_path
from generator._staging import check_target, staged
from generator.errors import UsageError
from generator.new._naming import go_module_problem, validate_service_name
from generator.template import MANAGED_BY_SCAFFOLD, Template, TemplateSource, checked_out, render

Show = Callable[[str], None]
Progress = Callable[[str], None]

# The one map between `scaffold new`'s flags and the template questions they answer; any other
# question takes --data key=value. Messages name the flag the user would pass.
FLAG_FOR_QUESTION = {
    "language": "--lang",
    "description": "--description",
    "owner": "--owner",
    "go_module": "--module",
    "port": "--port",
}


def answers_from_flags(flags: Mapping[str, Any]) -> dict[str, Any]:
    """Turn {"--owner": "team", ...} into question answers, leaving out flags not given."""
    question_for = {flag: question for question, flag in FLAG_FOR_QUESTION.items()}
    return {question_for[flag]: value for flag, value in flags.items() if value is not None}


@dataclass(frozen=True)
class NewOptions:
    """What the user asked for on the command line."""

    name: str
    language: str | None = None
    directory: Path | None = None
    flags: dict[str, Any] = field(default_factory=dict)
    data: list[str] = field(default_factory=list)
    traits: list[str] = field(default_factory=list)
    defaults: bool = False
    git: bool = True
    interactive: bool = False
    template: TemplateSource = field(default_factory=TemplateSource)


@dataclass(frozen=True)
class NewResult:
    """The service that was created."""

    name: str
    language: str
    path: Path
    display_path: str


def new_service(options: NewOptions, progress: Callable[[str], None], show: Show) -> NewResult:
    """Create a service from options; raise a ScaffoldError subclass on any bad input."""
    # The version is chosen once: the questions are read from it and copier renders it.
    source = options.template.resolved()
    with checked_out(source) as template_dir:
        template = Template.load(template_dir, trusted=source.trust)
        return _new_from(template, source, options, progress, show)


def _new_from(
    template: Template,
    source: TemplateSource,
    options: NewOptions,
    progress: Progress,
    show: Show,
) -> NewResult:
    name = validate_service_name(options.name, template.naming, template.rust_dependencies)
    given = options.directory or Path(name)
    target = user_path(given, flag="--dir")
    check_target(target)

    answers: dict[str, Any] = {"service_name": name}
    answers.update(parse_data(template, options.data))
    flags = dict(options.flags)
    if options.language:
        flags["language"] = options.language
    for key, value in flags.items():
        if key in answers and answers[key] != value:
            flag = FLAG_FOR_QUESTION.get(key, key)
            raise UsageError(
                f"contradictory answers: {flag} {value} but --data {key}={answers[key]}",
                hint=f"give {key} once",
            )
    answers.update(flags)

    _choose_language(options, answers, show)
    answers.update(_remaining_answers(template, options, answers))
    _validate(template, answers)
    if source.bundled:
        answers["template_version"] = __version__

    path = create_service(
        ServiceRequest(
            template=source.src or template.root,
            target=target,
            answers=answers,
            git=options.git,
            vcs_ref=source.ref,
            trust=source.trust,
        ),
        progress=progress,
    )
    return NewResult(
        name=name,
        language=str(answers["language"]),
        path=path,
        display_path=str(path) if given.expanduser().is_absolute() else os.path.relpath(path),
    )


def parse_data(template: Template, pairs: list[str]) -> dict[str, Any]:
    """Parse --data key=value pairs against the template's questions."""
    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(
                f"--data expects key=value, got {pair!r}", hint="e.g. --data owner=payments-team"
            )
        question = template.questions.get(key)
        if question is None or key in MANAGED_BY_SCAFFOLD or key == "service_name":
            known = ", ".join(
                k
                for k in template.questions
                if k not in MANAGED_BY_SCAFFOLD and k != "service_name"
            )
            raise UsageError(f"unknown template question {key!r} in --data", hint=f"known: {known}")
        value = template.coerce(question, raw)
        if key in parsed and parsed[key] != value:
            raise UsageError(
                f"contradictory answers: --data {key}={parsed[key]} and --data {key}={value}",
                hint=f"give {key} once",
            )
        parsed[key] = value
    return parsed


def _choose_language(options: NewOptions, answers: dict[str, Any], show: Show) -> None:
    """Settle the language; record traits, recommendation and any override in the answers."""
    traits = engine.parse_traits(options.traits)
    language = answers.get("language")
    recommendation: engine.Recommendation | None = None

    if language is None:
        if options.interactive:
            from generator.new import _prompts as prompts

            picked = prompts.choose_language_or_recommend() if not traits else prompts.RECOMMEND
            if picked == prompts.RECOMMEND:
                traits = prompts.ask_traits(traits)
                recommendation = engine.recommend(traits)
                show(engine.format_recommendation(recommendation))
                language = prompts.accept_or_override(recommendation)
            else:
                language = picked
        elif traits or options.defaults:
            recommendation = engine.recommend(traits)
            show(engine.format_recommendation(recommendation))
            language = recommendation.language
        else:
            raise UsageError(
                "no language given",
                hint="pass --lang go|rust, or --trait key=value / --defaults for a recommendation",
            )
    elif traits:
        recommendation = engine.recommend(traits)
        if recommendation.language != language:
            show(
                f"note: the traits recommend {recommendation.language}; "
                f"--lang {language} overrides it (recorded in docs/adr/0001-language-choice.md)"
            )

    answers["language"] = language
    answers["traits"] = recommendation.traits if recommendation else dict(traits)
    answers["recommendation"] = recommendation.to_dict() if recommendation else {}
    answers["language_override"] = bool(recommendation and recommendation.language != language)


def _remaining_answers(
    template: Template, options: NewOptions, answers: dict[str, Any]
) -> dict[str, Any]:
    """Ask (terminal), default (--defaults) or report (neither) every unanswered question."""
    added: dict[str, Any] = {}
    missing: list[str] = []
    for question in template.questions.values():
        key = question.key
        if key in answers or key in MANAGED_BY_SCAFFOLD:
            continue
        context = {**answers, **added}
        if not template.applies(question, context):
            continue
        if options.interactive:
            from generator.new import _prompts as prompts

            added[key] = prompts.ask_question(template, question, context)
        elif options.defaults:
            added[key] = template.default_for(question, context)
        else:
            missing.append(FLAG_FOR_QUESTION.get(key, f"--data {key}=…"))
    if missing:
        raise UsageError(
            f"missing answers without a terminal: {', '.join(missing)}",
            hint="pass them, or --defaults to accept the defaults",
        )
    return added


def _validate(template: Template, answers: dict[str, Any]) -> None:
    """Check every answer before anything touches the disk.

    Three layers: text is printable and on one line (every answer lands in files and logs), the
    template's own validators (the platform's policy), and the toolchains' rules, which no
    template can relax (a module path the go tool rejects never builds).
    """
    for key, value in answers.items():
        question = template.questions.get(key)
        if question is None or key in MANAGED_BY_SCAFFOLD:
            continue
        problem = ""
        if isinstance(value, str) and not value.isprintable():
            problem = "must be printable text on one line (no control characters)"
        elif key == "go_module" and answers.get("language") == "go":
            reason = go_module_problem(str(value))
            problem = f"the go tool rejects this module path: {reason}" if reason else ""
        problem = problem or template.problem_with(question, value, answers)
        if problem:
            flag = FLAG_FOR_QUESTION.get(key, f"--data {key}=…")
            raise UsageError(f"invalid {key} {value!r}: {problem}", hint=f"fix {flag}")


@dataclass(frozen=True)
class ServiceRequest:
    """Everything needed to render one service."""

    template: Path | str
    target: Path
    answers: Mapping[str, Any]
    git: bool = True
    vcs_ref: str | None = None
    trust: bool = False


def create_service(request: ServiceRequest, progress: Progress = lambda _: None) -> Path:
    """Render, optionally commit, and move the service into place; return its path."""
    target = request.target.absolute()
    with staged(target) as rendered:
        progress(f"rendering {request.answers.get('language', '?')} template")
        render(
            request.template,
            rendered,
            request.answers,
            vcs_ref=request.vcs_ref,
            trust=request.trust,
        )
        if request.git:
            progress("creating git repository with an initial commit")
            init_git(rendered, f"Initial commit from scaffold {__version__}")
    return target
