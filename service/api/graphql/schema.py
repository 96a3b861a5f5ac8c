"""The GraphQL schema (strawberry): queries, limits, masked errors, per-request context."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import strawberry
from fastapi import Request
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult, Info

from service.access.frontdoor import FrontDoor
from service.access.log import AccessLog
from service.access.policy import authenticate
from service.api.graphql import batch_resolvers, numbers_resolvers, practice_resolvers, resolvers
from service.api.graphql.access import AccessQuery
from service.api.graphql.area_totals import PublishedTotalsResult, published_totals_field
from service.api.graphql.context import Context
from service.api.graphql.errors import should_mask
from service.api.graphql.forecast_types import (
    ForecastApproach,
    ForecastModel,
    ForecastResult,
    StrainFlag,
    forecast_field,
    strain_field,
)
from service.api.graphql.guard import EdgeGuard, GuardedSchema
from service.api.graphql.lookup_types import LookupResult
from service.api.graphql.mutations import Mutation
from service.api.graphql.numbers_types import Batch, Metric, Observation
from service.api.graphql.practice_types import GPPractice, PracticeInArea
from service.api.graphql.revision_types import RevisionsResult, revisions_field
from service.api.graphql.rollup_shape import ORGANISATION_FIELDS, asks_for, needs_detail
from service.api.graphql.rollup_types import RestateInput, RollupMethod, RollupResult
from service.api.graphql.steward_queue import StewardQueueItem, steward_queue
from service.api.graphql.types import (
    GeographicArea,
    GeographyType,
    Organisation,
    OrganisationConnection,
    OrganisationFilter,
    OtherOrganisation,
    Site,
    Trust,
)
from service.api.routes.tooling import OfflineGraphQLRouter
from service.api.workers import Workers
from service.config import Settings
from service.geography.methods import METHODS
from service.reference import ReferenceData
from service.returns.codes import Successions
from service.returns.numbers import NumbersStore
from service.rollup.model import DEFAULT_METHOD

DEFAULT_ROLLUP_METHOD = RollupMethod(DEFAULT_METHOD.value)

SDL_FILE = Path(__file__).with_name("schema.graphql")
MAX_DEPTH = 10
AS_KNOWN_AT = strawberry.argument(
    description="Answer as published on this date: of each value, the latest release out by "
    "then (default: the latest release loaded)."
)
ROLLUP_KNOWN_AT = strawberry.argument(
    description="Answer as known on this date: of each value, the latest release out by then, "
    "and organisations placed as the reference graph stood at the end of that day (a later "
    "steward correction does not change the answer); default: as known now."
)
REFERENCE_KNOWN_AT = strawberry.argument(
    description="Read the reference graph as known at the end of this day (UTC): the loads "
    "and steward changes recorded by then, none after (default: as known now)."
)


@strawberry.type
class Query(AccessQuery):
    @strawberry.field(description="Kinds of geographic area, from the ontology.")
    def geography_types(self, info: Info) -> list[GeographyType]:
        return resolvers.geography_types(info)

    @strawberry.field(description="The area with this GSS or ODS code.")
    def geography(
        self,
        info: Info,
        code: str,
        as_known_at: Annotated[dt.date | None, REFERENCE_KNOWN_AT] = None,
    ) -> GeographicArea:
        return resolvers.geography(info, code, as_known_at)

    @strawberry.field(description="Areas of one type (see geographyTypes) in use on a date.")
    def geographies(
        self,
        info: Info,
        type: str,
        as_of: dt.date | None = None,
        as_known_at: Annotated[dt.date | None, REFERENCE_KNOWN_AT] = None,
    ) -> list[GeographicArea]:
        return resolvers.geographies(info, type, as_of, as_known_at)

    @strawberry.field(
        description="Which areas of a type an organisation (old codes resolve) is "
        f"in on a date, by {', '.join(METHODS[:-1])} or {METHODS[-1]}."
    )
    def lookup(
        self,
        info: Info,
        code: str,
        geography_type: str,
        as_of: dt.date | None = None,
        method: str = DEFAULT_METHOD.value,
        as_known_at: Annotated[dt.date | None, REFERENCE_KNOWN_AT] = None,
    ) -> LookupResult:
        return resolvers.lookup(info, code, geography_type, as_of, method, as_known_at)

    @strawberry.field(
        description="What needs a steward's decision: unregistered providers, retired codes "
        "in returns, successions of no stated type, trusts whose placement methods conflict "
        "(on asOf, default today, in areas of areaType)."
    )
    def steward_queue(
        self,
        info: Info,
        kinds: list[str] | None = None,
        area_type: str = "LRF",
        as_of: dt.date | None = None,
    ) -> list[StewardQueueItem]:
        return steward_queue(info, kinds, area_type, as_of)

    @strawberry.field(
        description="The organisation with this ODS code (old codes too). With asOf, its "
        "carriedOnBy answers for that date (its successors if it had closed); a date before "
        "it opened is an error that says so."
    )
    def organisation(
        self,
        info: Info,
        code: str,
        as_of: dt.date | None = None,
        as_known_at: Annotated[dt.date | None, REFERENCE_KNOWN_AT] = None,
    ) -> Organisation:
        return resolvers.organisation(info, code, as_of, as_known_at)

    @strawberry.field(
        description="The GP practices open on a date that lie in an area (GSS or ODS code; "
        "`type` when the code names an area of several types), each with its share, placed "
        "through its commissioner as `GPPractice.geographies` is. Needs an analyst; a scoped "
        "caller sees the practices in scope."
    )
    def practices(
        self,
        info: Info,
        in_: Annotated[str, strawberry.argument(name="in")],
        as_of: dt.date,
        type: str | None = None,
    ) -> list[PracticeInArea]:
        return practice_resolvers.practices_in(info, in_, as_of, type)

    @strawberry.field(description="Organisations matching a filter, a page at a time.")
    def organisations(
        self,
        info: Info,
        filter: OrganisationFilter | None = None,
        first: int = 50,
        after: str | None = None,
        as_known_at: Annotated[dt.date | None, REFERENCE_KNOWN_AT] = None,
    ) -> OrganisationConnection:
        return resolvers.organisations(info, filter, first, after, as_known_at)

    @strawberry.field(description="Metrics of the ontology's metric scheme.")
    def metrics(self, info: Info) -> list[Metric]:
        return numbers_resolvers.metrics(info.context)

    @strawberry.field(
        description="Reported values of one organisation (old codes as reported), optionally of "
        "one metric (see metrics) and between two dates, oldest first, with their batch."
    )
    def observations(
        self,
        info: Info,
        org: str,
        metric: str | None = None,
        start: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
        end: Annotated[dt.date | None, strawberry.argument(name="to")] = None,
        first: Annotated[
            int | None, strawberry.argument(description="At most this many (default: page cap).")
        ] = None,
        as_known_at: Annotated[dt.date | None, AS_KNOWN_AT] = None,
    ) -> list[Observation]:
        return numbers_resolvers.observations(
            info.context, org, metric, start, end, first, as_known_at
        )

    @strawberry.field(
        description="Which values of a metric the second release changed of what the first "
        "had published (as known on each release date), per value and per area."
    )
    def revisions(
        self,
        info: Info,
        metric: str,
        start: Annotated[dt.date, strawberry.argument(name="from")],
        end: Annotated[dt.date, strawberry.argument(name="to")],
        between: list[dt.date],
        first: int | None = None,
    ) -> RevisionsResult:
        return revisions_field(info.context, metric, start, end, between, first)

    @strawberry.field(
        description="Values reported by area: the totals a publication gives for larger areas "
        "(its region and England rows) beside the sum of their parts (areas of type parts), "
        "per area and day, with the difference; national callers."
    )
    def published_totals(
        self,
        info: Info,
        metric: str,
        parts: str,
        total: str,
        start: Annotated[dt.date, strawberry.argument(name="from")],
        end: Annotated[dt.date, strawberry.argument(name="to")],
    ) -> PublishedTotalsResult:
        return published_totals_field(info.context, metric, parts, total, start, end)

    @strawberry.field(
        description="Return batches loaded, oldest release first, with their release date, "
        "status (current, superseded, retired) and how many of their values answer now."
    )
    def batches(
        self, info: Info, dataset: str | None = None, status: str | None = None
    ) -> list[Batch]:
        return batch_resolvers.batches(info.context, dataset, status)

    @strawberry.field(
        description="A metric (see metrics) summed into areas of a geography type (see "
        "geographyTypes) on a date, or from and to: a stock gives a time series per area, a "
        "flow one total per area (or a series with series: true). Values are placed by method "
        "(RETURN_STATED: the region the return states; NHS_REGION only) and kept with their "
        "reporting organisations or restated to those of a date. Scope comes from the request."
    )
    def rollup(
        self,
        info: Info,
        metric: str,
        by: str,
        date: dt.date | None = None,
        start: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
        end: Annotated[dt.date | None, strawberry.argument(name="to")] = None,
        restate: RestateInput | None = None,
        method: RollupMethod = DEFAULT_ROLLUP_METHOD,
        series: bool = False,
        as_known_at: Annotated[dt.date | None, ROLLUP_KNOWN_AT] = None,
    ) -> RollupResult:
        return numbers_resolvers.rollup_field(
            info.context, metric, by, date, start, end, restate, method, series,
            detail=needs_detail(info.selected_fields), as_known_at=as_known_at,
            names_organisations=asks_for(info.selected_fields, ORGANISATION_FIELDS),
        )  # fmt: skip

    @strawberry.field(
        description="Supply Chain 360 (SYNTHETIC: no public supplies data exists; see "
        "syntheticNotice): days of stock of each consumable (stock held over the day's use, "
        "summed over the same trusts) and ventilator utilisation, by a geography type on a "
        "date, with strain flags from the ontology's thresholds. Not open to the public role."
    )
    def supply_stock(
        self,
        info: Info,
        by: str,
        date: dt.date,
        restate: RestateInput | None = None,
        method: RollupMethod = DEFAULT_ROLLUP_METHOD,
    ) -> list[RollupResult]:
        return numbers_resolvers.supply_stock(
            info.context, by, date, restate, method,
            detail=needs_detail(info.selected_fields),
            names_organisations=asks_for(info.selected_fields, ORGANISATION_FIELDS),
        )  # fmt: skip

    @strawberry.field(
        description="A metric's figure for every area of a type forecast 1 to horizon days "
        "after the last day known (asKnownAt: from the releases out by then; no later value is "
        "read), with 50/80/90/95% prediction intervals: the AREA's own figure, or its "
        "CONTRIBUTORS forecast and rolled up. Metrics with nhskg:forecastHorizon only; model "
        "and approach default to the metric's nhskg:forecastModel and nhskg:forecastApproach "
        "(ontology/strain.ttl)."
    )
    def forecast(
        self,
        info: Info,
        metric: str,
        by: str,
        method: RollupMethod = DEFAULT_ROLLUP_METHOD,
        horizon: int = 14,
        approach: ForecastApproach | None = None,
        model: ForecastModel | None = None,
        as_known_at: Annotated[dt.date | None, AS_KNOWN_AT] = None,
    ) -> ForecastResult:
        return forecast_field(
            info.context, metric, by, method, horizon, approach, model, as_known_at
        )

    @strawberry.field(
        description="Every area of a type judged against the metric's strain thresholds "
        "(ontology/strain.ttl): flagged when its current figure or its forecast crosses one, "
        "with the evidence (figure, forecast and interval, capacity where held, coverage)."
    )
    def strain(
        self,
        info: Info,
        metric: str,
        by: str,
        method: RollupMethod = DEFAULT_ROLLUP_METHOD,
        as_known_at: Annotated[dt.date | None, AS_KNOWN_AT] = None,
        flagged_only: bool = False,
    ) -> list[StrainFlag]:
        return strain_field(info.context, metric, by, method, as_known_at, flagged_only)


# Factories, so each request gets fresh extension state.
EXTENSIONS: list[Any] = [
    lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
    lambda: MaxAliasesLimiter(max_alias_count=20),
    lambda: MaxTokensLimiter(max_token_count=2_000),
    lambda: MaskErrors(should_mask_error=should_mask),
    EdgeGuard,
]
schema = GuardedSchema(
    query=Query,
    mutation=Mutation,
    types=[Trust, Site, GPPractice, OtherOrganisation],
    extensions=EXTENSIONS,
)


def count_rows(data: Any) -> int:
    """Rows returned: the objects in an answer below its top-level fields."""
    if isinstance(data, list):
        return sum(count_rows(d) if isinstance(d, list | dict) else 1 for d in data)
    if isinstance(data, dict):
        return sum(
            (1 if isinstance(v, dict) else 0) + count_rows(v)
            for v in data.values()
            if isinstance(v, list | dict)
        )
    return 0


class LoggedGraphQLRouter(OfflineGraphQLRouter):
    """Every answered query goes to the access log: who, under which grant, what, how many."""

    def __init__(self, *args: Any, access_log: AccessLog | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_log = access_log

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        answer = await super().process_result(request, result)
        access = getattr(request.state, "access", None)
        if self.access_log is not None and access is not None:
            principal = access.principal
            self.access_log.append(
                identity=principal.subject,
                role=principal.role.value,
                grant=principal.grant,
                asked="graphql " + getattr(request.state, "asked", ""),
                rows=count_rows(result.data),
                status=200 if not result.errors else 400,
            )
        return answer


def graphql_router(
    reference: ReferenceData,
    max_page_size: int,
    numbers: NumbersStore | None = None,
    successions: Successions | None = None,
    max_rollup_rows: int = 50_000,
    workers: Workers | None = None,
    *,
    front_door: FrontDoor | None = None,
    access_log: AccessLog | None = None,
    settings: Settings | None = None,
) -> OfflineGraphQLRouter:
    """`successions`: who carries a code on, for restatement; the graph's unless given (the
    synthetic benchmark's organisations are not in the graph: bench/graphql_synthetic.py).
    The caller's access comes from the request's bearer token (service/access/policy.py)."""

    async def context(request: Request) -> Context:
        access = authenticate(request)  # 401 here for a token that does not verify
        if request.method == "POST":
            request.state.asked = (await request.body()).decode("utf-8", "replace")
        else:
            request.state.asked = str(request.query_params.get("query", ""))
        return Context(
            reference=reference,
            max_page_size=max_page_size,
            max_rollup_rows=max_rollup_rows,
            numbers=numbers,
            successions=successions or reference.successions,
            workers=workers,
            access=access,
            front_door=front_door,
            access_log=access_log,
            settings=settings,
        )

    return LoggedGraphQLRouter(
        schema, context_getter=context, graphql_ide="graphiql", access_log=access_log
    )


if __name__ == "__main__":  # python -m service.api.graphql.schema  (refresh the golden SDL)
    SDL_FILE.write_text(schema.as_str() + "\n")
    print(f"wrote {SDL_FILE}")
