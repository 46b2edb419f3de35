import { NavLink, Outlet } from 'react-router';

export function Layout() {
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Offload</span>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Overview
          </NavLink>
          <a href="/playground">GraphQL playground</a>
        </nav>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
