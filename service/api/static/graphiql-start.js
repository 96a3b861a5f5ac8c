// Starts GraphiQL against this service's /graphql; ?example=... opens that query (the front page's
// examples link here; not ?query=, which strawberry runs and answers with JSON). Everything it
// loads comes from /assets.
(function () {
  var root = document.getElementById("graphiql");
  var params = new URLSearchParams(window.location.search);
  var query = params.get("example") || root.getAttribute("data-default-query");
  // The token this tab signed in with (/signin keeps it in sessionStorage: signin.js), sent
  // as the Authorization header of every request GraphiQL makes.
  var token = window.nhskgToken ? window.nhskgToken() : null;
  var headers = token ? { Authorization: "Bearer " + token } : {};
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname, headers: headers });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: query,
      query: query,
      defaultEditorToolsVisibility: false,
      shouldPersistHeaders: false,
    })
  );
})();
