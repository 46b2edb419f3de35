import { useQuery } from '@apollo/client/react';
import { Navigate, useLocation } from 'react-router';
import type { ReactNode } from 'react';
import { signInPath } from './apollo';
import { QueryState } from '../components/QueryState';
import { MeDocument } from '@offload/types/graphql';

/** Renders its children for a signed-in admin; everyone else goes to sign-in and comes back. */
export function RequireAdmin({ children }: { children: ReactNode }) {
  const location = useLocation();
  const me = useQuery(MeDocument);
  return (
    // Shown before the layout, so its states bring their own padding.
    <QueryState query={me} className="content">
      {(data) => (data.me ? children : <Navigate to={signInPath(location.pathname + location.search)} replace />)}
    </QueryState>
  );
}
