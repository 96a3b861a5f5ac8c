"""GraphiQL (/graphql in a browser) and the OpenAPI docs (/docs), from local assets only.

Both pages take their JavaScript and styles from /assets (npm packages installed by `make setup`);
GraphiQL opens with an example query that runs on the loaded data, and the other examples are
listed on the front page with links that open them here."""

from __future__ import annotations

import html
import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from strawberry.fastapi import GraphQLRouter

router = APIRouter(tags=["tooling"], include_in_schema=False)

GRAPHIQL_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GraphiQL: NHS knowledge graph</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/graphiql.css">
<style>body {{ margin: 0; font-family: Arial, sans-serif; }}
#graphiql {{ height: calc(100vh - 36px); }}
#nhskg-signin {{ height: 36px; box-sizing: border-box; padding: 8px 12px; font-size: 14px;
  background: #005eb8; color: #fff; }}
#nhskg-signin a, #nhskg-signin button {{ color: #fff; margin-left: 12px; }}
#nhskg-signin button {{ background: none; border: 1px solid #fff; cursor: pointer; }}</style>
</head>
<body>
<div id="nhskg-signin" role="region" aria-label="Sign-in">
  <span id="nhskg-signin-state">Not signed in: queries run as the public role.</span>
  <a id="nhskg-signin-link" href="/signin?next=/graphql">Sign in with a token</a>
  <button id="nhskg-signout" type="button" hidden>Sign out</button>
</div>
<div id="graphiql" data-default-query="{query}">Loading GraphiQL from /assets...</div>
<script src="/assets/signin.js"></script>
<script src="/assets/react.js"></script>
<script src="/assets/react-dom.js"></script>
<script src="/assets/graphiql.js"></script>
<script src="/assets/graphiql-start.js"></script>
</body>
</html>
"""

DEFAULT_QUERY = """# The metrics held, with their dates. Press the run button (Ctrl-Enter).
# More examples run on the loaded data: see the front page, /.
{ metrics { key label unit kind held { first last valueCount } } }
"""


def graphiql_html(query: str = DEFAULT_QUERY) -> str:
    return GRAPHIQL_PAGE.format(query=html.escape(query, quote=True))


class OfflineGraphQLRouter(GraphQLRouter):
    """strawberry's router, its IDE page served from /assets instead of a CDN."""

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_html()


SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}: API docs</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}">Loading the API docs from /assets...</div>
<script src="/assets/swagger-ui-bundle.js"></script>
<script src="/assets/swagger-start.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    app = request.app
    page = SWAGGER_PAGE.format(
        title=html.escape(app.title), openapi=html.escape(json.dumps(app.openapi_url)[1:-1])
    )
    return HTMLResponse(page)
