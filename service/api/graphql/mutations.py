"""Steward mutations: the same change-set path as the CLI (YAML text in, dry-run report out)."""

from __future__ import annotations

import dataclasses

import strawberry
import yaml
from strawberry.types import Info

from service.access.policy import AccessDenied, Need
from service.api.graphql.access import AccessMutation
from service.api.graphql.context import Context
from service.api.graphql.errors import UserError, denied
from service.api.graphql.figure_effect import FigureEffectResult, FigureInput
from service.api.graphql.iris import iri_field, term
from service.api.graphql.numbers_types import Batch
from service.geography.assign import UnknownAreaType
from service.returns.numbers import NumbersStore
from service.stewardship.changeset import ChangeSet, ChangeSetError, parse_changeset
from service.stewardship.workflow import DryRun, apply, check, effect_hook, revert
from service.validation.report import Finding


@strawberry.type(description="One broken rule, where it is in the change set, and the shape.")
class ValidationFinding:
    source: str
    change: int | None = strawberry.field(description="1-based number of the change.")
    field: str | None
    value: str | None
    rule: str
    shape: str | None

    @classmethod
    def of(cls, f: Finding) -> ValidationFinding:
        return cls(
            source=f.file, change=f.row, field=f.column, value=f.value, rule=f.rule, shape=f.shape
        )


@strawberry.type(description="Triples a change set adds about one organisation or area.")
class ChangeSetDiff:
    about: str
    added: list[str]


@strawberry.type(description="What checking or applying a change set did (nhskg:ChangeSet).")
class ChangeSetResult:
    id: str = iri_field(term("changeSetId"), "The change set's id.")
    status: str = strawberry.field(description="valid, rejected or applied.")
    findings: list[ValidationFinding]
    diff: list[ChangeSetDiff]
    effect: FigureEffectResult | None = strawberry.field(
        default=None, description="The effect on the figure asked for (checkChangeSet only)."
    )

    @classmethod
    def of(cls, dry: DryRun) -> ChangeSetResult:
        return cls(
            id=dry.changeset.id,
            status=dry.status,
            findings=[ValidationFinding.of(f) for f in dry.report.findings],
            diff=[ChangeSetDiff(about=k, added=v) for k, v in sorted(dry.added.items())],
            effect=FigureEffectResult.of(dry.effect) if dry.effect is not None else None,
        )


def _steward(context: Context) -> str:
    """The acting steward's identity (the token's subject): mutations need the steward role."""
    try:
        context.access.require(Need.STEWARD)
    except AccessDenied as exc:
        raise denied(exc) from exc
    return context.access.principal.subject


def _numbers_to_write(context: Context) -> NumbersStore | None:
    """The numbers store a change set's apply or revert writes (the touched organisations placed
    again in org_area): refused up front when this server reads it read-only, rather than failing
    after the graph was written (the change set was then retired again, and its id spent)."""
    numbers = context.numbers
    if numbers is not None and numbers.read_only and numbers.holds_placements():
        raise UserError(
            "this server reads the numbers store read-only (so CLI reads work beside it), and "
            "a change set places the organisations it touches again in it",
            "Use `nhskg change apply|revert` while the server is stopped, or serve with "
            "--writable-numbers.",
        )
    return numbers


def _parse(text: str, author: str) -> ChangeSet:
    """The change set, its author the identity acting (whatever the YAML says)."""
    try:
        data = yaml.safe_load(text)
        if isinstance(data, dict):
            data["author"] = author
        return parse_changeset(data)
    except (yaml.YAMLError, ChangeSetError) as exc:
        raise UserError(
            f"not a valid change set: {exc}", "See mappings/changes/README.md for the format."
        ) from exc


@strawberry.type
class Mutation(AccessMutation):
    @strawberry.mutation(
        description="Dry run of a change set (YAML): findings, diff and, given a figure, the "
        "roll-up rows it would change."
    )
    def check_change_set(
        self, info: Info, change_set: str, figure: FigureInput | None = None
    ) -> ChangeSetResult:
        context: Context = info.context
        author = _steward(context)
        hook = None
        if figure is not None:
            if context.numbers is None:
                raise UserError("no numbers store to compute figures from", "Load a return.")
            question = figure.question()
            question = dataclasses.replace(question, scope=context.access.rollup_scope())
            hook = effect_hook(context.numbers, question)
        try:
            changeset = _parse(change_set, author)
            return ChangeSetResult.of(check(context.reference.store, changeset, hook))
        except UnknownAreaType as exc:
            raise UserError(str(exc)) from exc

    @strawberry.mutation(description="Apply a change set (YAML) if every rule holds.")
    def apply_change_set(self, info: Info, change_set: str) -> ChangeSetResult:
        context: Context = info.context
        author = _steward(context)
        numbers = _numbers_to_write(context)
        try:
            dry = apply(context.reference.store, _parse(change_set, author), numbers)
        except ChangeSetError as exc:
            raise UserError(str(exc)) from exc
        if dry.status == "applied":
            context.reference.refresh()
        return ChangeSetResult.of(dry)

    @strawberry.mutation(
        description="Retire a return batch (its id, or the end of it): its values stop "
        "answering and the earlier release of each answers again; nothing is deleted."
    )
    def retire_batch(self, info: Info, id: str, note: str) -> Batch:
        from service.api.graphql.batch_resolvers import change_batch

        _steward(info.context)
        return change_batch(info.context, id, note, retiring=True)

    @strawberry.mutation(description="Restore a retired return batch.")
    def restore_batch(self, info: Info, id: str, note: str) -> Batch:
        from service.api.graphql.batch_resolvers import change_batch

        _steward(info.context)
        return change_batch(info.context, id, note, retiring=False)

    @strawberry.mutation(
        description="Revert an applied change set; the reversion is recorded, its author the "
        "signed-in steward."
    )
    def revert_change_set(self, info: Info, id: str, reason: str) -> bool:
        context: Context = info.context
        author = _steward(context)
        numbers = _numbers_to_write(context)
        try:
            revert(context.reference.store, id, author=author, reason=reason, numbers=numbers)
        except ValueError as exc:
            raise UserError(str(exc), "Give the id of an applied change set.") from exc
        context.reference.refresh()
        return True
