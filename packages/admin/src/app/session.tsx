import { useQuery } from '@apollo/client/react';
import { Navigate, useLocation } from 'react-router';
import type { ReactNode } from 'react';
import { signInPath } from './apollo';
import { MeDocument } from '@offload/types/graphql';

/** Renders its children for a signed-in admin; everyone else goes to sign-in and comes back. */
export function RequireAdmin({ children }: { children: ReactNode }) {
  const location = useLocation();
  const { data, loading, error } = useQuery(MeDocument);
  if (loading) return <p role="status" className="content">Loading…</p>;
  if (error) return <p role="alert" className="content error">Could not reach the server: {error.message}</p>;
  if (!data?.me) return <Navigate to={signInPath(location.pathname + location.search)} replace />;
  return children;
}
