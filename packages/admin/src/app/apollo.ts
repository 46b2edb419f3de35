import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { ErrorLink } from '@apollo/client/link/error';

export const BASENAME = '/app/admin';

/** The sign-in page, remembering where the admin was so they return there afterwards. */
export function signInPath(next = window.location.pathname.slice(BASENAME.length) + window.location.search) {
  return next && next !== '/' && !next.startsWith('/sign-in') ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in';
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
  cache: new InMemoryCache(),
});
