import { useMutation, useQuery } from '@apollo/client/react';
import { Link } from 'react-router';
import { useToast } from '../../app/toasts';
import { InstallPluginDocument, PluginsDocument, UninstallPluginDocument, type PluginsQuery } from '@offload/types/graphql';

type Plugin = PluginsQuery['plugins'][number];

export function PluginsPage() {
  const toast = useToast();
  const { data, loading, error } = useQuery(PluginsDocument);
  const refetch = { refetchQueries: [PluginsDocument], awaitRefetchQueries: true };
  const [install] = useMutation(InstallPluginDocument, refetch);
  const [uninstall] = useMutation(UninstallPluginDocument, refetch);

  const run = async (plugin: Plugin, action: 'install' | 'uninstall') => {
    try {
      await (action === 'install' ? install : uninstall)({ variables: { key: plugin.provider } });
      toast({
        kind: 'success',
        message:
          action === 'install'
            ? `${plugin.name} installed. Configure it, enable it, then pick it as Default Storage.`
            : `${plugin.name} uninstalled. New results stay on this server; its settings are kept.`,
      });
    } catch (e) {
      toast({ kind: 'error', message: (e as Error).message });
    }
  };

  return (
    <section>
      <h1>Plugins</h1>
      <p className="lead">
        Storage plugins let results live in your own bucket. Installing one adds its settings screen; nothing moves until it is configured, enabled and chosen
        as the Default Storage.
      </p>
      {loading && <p role="status">Loading…</p>}
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
      <div className="cards">
        {data?.plugins.map((p) => (
          <article key={p.key} className="card plugin" aria-labelledby={`plugin-${p.key}`}>
            <h2 id={`plugin-${p.key}`}>{p.name}</h2>
            <p className="badges">
              <span className={`badge ${p.pricing === 'FREE' ? 'free' : 'paid'}`}>{p.pricing === 'FREE' ? 'Free' : 'Paid'}</span>
              {p.freeForExtendedLicense && <span className="badge">Free with an Extended License</span>}
              {p.installed && <span className="badge ok">Installed</span>}
            </p>
            <p>{p.description}</p>
            <div className="actions">
              {p.action === 'INSTALL' && (
                <button type="button" className="primary" onClick={() => run(p, 'install')}>
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
                  <button type="button" onClick={() => run(p, 'uninstall')}>
                    Uninstall
                  </button>
                </>
              )}
            </div>
          </article>
        ))}
      </div>
    </section>
  );
}
