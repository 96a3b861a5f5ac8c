"""Steward mutations: the same change-set path as the CLI (YAML text in, dry-run report out)."""

from __future__ import annotations

import strawberry
import yaml
from strawberry.types import Info

from service.api.graphql.context import Context
from service.api.graphql.errors import UserError
from service.api.graphql.figure_effect import FigureEffectResult, FigureInput
from service.api.graphql.iris import iri_field, term
from service.api.graphql.numbers_types import Batch
from service.geography.assign import UnknownAreaType
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


def _parse(text: str) -> ChangeSet:
    try:
        return parse_changeset(yaml.safe_load(text))
    except (yaml.YAMLError, ChangeSetError) as exc:
        raise UserError(
            f"not a valid change set: {exc}", "See mappings/changes/README.md for the format."
        ) from exc


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Dry run of a change set (YAML): findings, diff and, given a figure, the "
        "roll-up rows it would change."
    )
    def check_change_set(
        self, info: Info, change_set: str, figure: FigureInput | None = None
    ) -> ChangeSetResult:
        context: Context = info.context
        hook = None
        if figure is not None:
            if context.numbers is None:
                raise UserError("no numbers store to compute figures from", "Load a return.")
            hook = effect_hook(context.numbers, figure.question())
        try:
            return ChangeSetResult.of(check(context.reference.store, _parse(change_set), hook))
        except UnknownAreaType as exc:
            raise UserError(str(exc)) from exc

    @strawberry.mutation(description="Apply a change set (YAML) if every rule holds.")
    def apply_change_set(self, info: Info, change_set: str) -> ChangeSetResult:
        context: Context = info.context
        try:
            dry = apply(context.reference.store, _parse(change_set), context.numbers)
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

        return change_batch(info.context, id, note, retiring=True)

    @strawberry.mutation(description="Restore a retired return batch.")
    def restore_batch(self, info: Info, id: str, note: str) -> Batch:
        from service.api.graphql.batch_resolvers import change_batch

        return change_batch(info.context, id, note, retiring=False)

    @strawberry.mutation(description="Revert an applied change set; the reversion is recorded.")
    def revert_change_set(self, info: Info, id: str, author: str, reason: str) -> bool:
        context: Context = info.context
        try:
            revert(
                context.reference.store, id, author=author, reason=reason, numbers=context.numbers
            )
        except ValueError as exc:
            raise UserError(str(exc), "Give the id of an applied change set.") from exc
        context.reference.refresh()
        return True
