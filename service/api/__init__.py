"""HTTP API: FastAPI app with REST routes and the strawberry GraphQL schema."""
