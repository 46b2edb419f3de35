import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';

// Same-origin POSTs with the admin's session cookie; JSON content type satisfies CSRF prevention.
const fetcher = async (params: unknown) => {
  const response = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify(params),
  });
  return response.json();
};

createRoot(document.getElementById('playground')!).render(<GraphiQL fetcher={fetcher} defaultQuery={'query {\n  serverInfo {\n    version\n  }\n}\n'} />);
