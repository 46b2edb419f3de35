import { useQuery } from '@apollo/client/react';
import { NavLink, Outlet } from 'react-router';
import { RequireAdmin } from './session';
import { useSignOutMutation } from './useSignOutMutation';
import { MeDocument } from '@offload/types/graphql';

function SignOutButton() {
  const { data } = useQuery(MeDocument);
  const [signOut, { loading }] = useSignOutMutation();
  return (
    <div className="account">
      <span className="muted">{data?.me?.email}</span>
      <button type="button" disabled={loading} onClick={signOut}>
        Sign out
      </button>
    </div>
  );
}

export function Layout() {
  return (
    <RequireAdmin>
      <div className="shell">
        <header className="topbar">
          <span className="brand">Offload</span>
          <nav aria-label="Main">
            <NavLink to="/" end>
              Overview
            </NavLink>
            <NavLink to="/media">Media</NavLink>
            <NavLink to="/general/plugins">Plugins</NavLink>
            <NavLink to="/general/settings">General Settings</NavLink>
            <NavLink to="/general/locations">Storage locations</NavLink>
            <NavLink to="/tools">Tools</NavLink>
            <NavLink to="/api-tokens">API tokens</NavLink>
            <a href="/playground">GraphQL playground</a>
          </nav>
          <SignOutButton />
        </header>
        <main className="content">
          <Outlet />
        </main>
      </div>
    </RequireAdmin>
  );
}
