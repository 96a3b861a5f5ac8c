"""The GraphQL schema (strawberry). Types are named as the ontology names them."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.fastapi import GraphQLRouter
from strawberry.types import Info

from service.organisations import Organisation as OrganisationRecord
from service.organisations import find_organisation
from service.store import GraphStore


@strawberry.type(description="An organisation registered with ODS (nhskg:Organisation).")
class Organisation:
    iri: str
    code: str
    name: str
    type: str = strawberry.field(description="IRI of the ontology class of this organisation.")
    open_date: dt.date
    close_date: dt.date | None

    @classmethod
    def of(cls, record: OrganisationRecord) -> Organisation:
        return cls(
            iri=record.iri,
            code=record.code,
            name=record.name,
            type=record.type_iri,
            open_date=record.open_date,
            close_date=record.close_date,
        )


@strawberry.type
class Query:
    @strawberry.field(description="The organisation with this ODS code, or null if unknown.")
    def organisation(self, info: Info, code: str) -> Organisation | None:
        record = find_organisation(info.context["store"], code)
        return Organisation.of(record) if record else None


schema = strawberry.Schema(query=Query)


def graphql_router(store: GraphStore) -> GraphQLRouter:
    async def context() -> dict[str, object]:
        return {"store": store}

    return GraphQLRouter(schema, context_getter=context, graphql_ide="graphiql")
