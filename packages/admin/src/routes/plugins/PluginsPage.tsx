import { useQuery } from '@apollo/client/react';
import { Link } from 'react-router';
import { PluginsDocument, type PluginsQuery } from '@offload/types/graphql';
import { QueryState } from '../../components/QueryState';
import { useInstallPluginMutation, useUninstallPluginMutation } from './usePluginMutations';

type Plugin = PluginsQuery['plugins'][number];

export function PluginsPage() {
  const query = useQuery(PluginsDocument);
  return (
    <section>
      <h1>Plugins</h1>
      <p className="lead">
        Storage plugins let results live in your own bucket. Installing one adds its settings screen; nothing moves until it is configured, enabled and chosen
        as the Default Storage.
      </p>
      <QueryState query={query}>
        {(data) => (
          <div className="cards">
            {data.plugins.map((p) => (
              <PluginCard key={p.key} plugin={p} />
            ))}
          </div>
        )}
      </QueryState>
    </section>
  );
}

function PluginCard({ plugin: p }: { plugin: Plugin }) {
  return (
    <article className="card plugin" aria-labelledby={`plugin-${p.key}`}>
      <h2 id={`plugin-${p.key}`}>{p.name}</h2>
      <p className="badges">
        <span className={`badge ${p.pricing === 'FREE' ? 'free' : 'paid'}`}>{p.pricing === 'FREE' ? 'Free' : 'Paid'}</span>
        {p.freeForExtendedLicense && <span className="badge">Free with an Extended License</span>}
        {p.installed && <span className="badge ok">Installed</span>}
      </p>
      <p>{p.description}</p>
      <PluginActions plugin={p} />
    </article>
  );
}

/** What the card's buttons offer, given the license and purchases (the server decides: `action`). */
function PluginActions({ plugin: p }: { plugin: Plugin }) {
  const [install, installing] = useInstallPluginMutation();
  const [uninstall, uninstalling] = useUninstallPluginMutation();
  return (
    <div className="actions">
      {p.action === 'INSTALL' && (
        <button type="button" className="primary" onClick={() => install(p)} disabled={installing.loading}>
          Install
        </button>
      )}
      {p.action === 'PURCHASE' &&
        (p.checkoutUrl ? (
          <a className="button primary" href={p.checkoutUrl}>
            Purchase
          </a>
        ) : (
          <span className="muted">This plugin is free only for Extended License holders. Purchase it to install.</span>
        ))}
      {p.installed && (
        <>
          <Link className="button" to={p.configPath}>
            Configure
          </Link>
          <button type="button" onClick={() => uninstall(p)} disabled={uninstalling.loading}>
            Uninstall
          </button>
        </>
      )}
    </div>
  );
}
