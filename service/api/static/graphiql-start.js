// Starts GraphiQL against this service's /graphql; ?query=... opens that query (the front page's
// examples link here). Everything it loads comes from /assets.
(function () {
  var root = document.getElementById("graphiql");
  var params = new URLSearchParams(window.location.search);
  var query = params.get("query") || root.getAttribute("data-default-query");
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
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
