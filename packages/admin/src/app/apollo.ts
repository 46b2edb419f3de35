import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { ErrorLink } from '@apollo/client/link/error';
import { relayStylePagination } from '@apollo/client/utilities';

export const BASENAME = '/app/admin';

/** The sign-in page, remembering where the admin was so they return there afterwards. */
export function signInPath(next = window.location.pathname.slice(BASENAME.length) + window.location.search) {
  return next && next !== '/' && !next.startsWith('/sign-in') ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in';
}

/** What the admin reads when a request fails: the server's own words, or that it could not be reached. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return CombinedGraphQLErrors.is(error) ? message : `Could not reach the server: ${message}`;
}

/** Server problems ({ field, message }) next to their fields. */
export function problemsOf(error: unknown): Record<string, string> {
  if (!CombinedGraphQLErrors.is(error)) return {};
  const first = error.errors[0];
  const problems = (first?.extensions?.problems as { field: string; message: string }[] | undefined) ?? [];
  const field = first?.extensions?.field as string | undefined;
  return Object.fromEntries(problems.length ? problems.map((p) => [p.field, p.message]) : field ? [[field, first!.message]] : []);
}

// A session that expired mid-use: back to sign-in, then back here.
const expiredSession = new ErrorLink(({ error, operation }) => {
  if (operation.operationName === 'SignIn' || !CombinedGraphQLErrors.is(error)) return;
  if (error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED') && !window.location.pathname.startsWith(`${BASENAME}/sign-in`)) {
    window.location.assign(BASENAME + signInPath());
  }
});

export const apolloClient = new ApolloClient({
  link: ApolloLink.from([expiredSession, new HttpLink({ uri: '/graphql', credentials: 'same-origin' })]),
  cache: new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          // One list per filter; a page fetched after a cursor is appended there, and a fetch
          // from the top (a refetch) replaces the list, so screens never stitch pages themselves.
          creatives: relayStylePagination(['location', 'status', 'studio']),
        },
      },
    },
  }),
});
