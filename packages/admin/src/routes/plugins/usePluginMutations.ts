import { useMutation } from '@apollo/client/react';
import { InstallPluginDocument, PluginsDocument, UninstallPluginDocument, type PluginsQuery } from '@offload/types/graphql';
import { useToastOutcome } from '../../app/toasts';

type Plugin = PluginsQuery['plugins'][number];
const refetch = { refetchQueries: [PluginsDocument], awaitRefetchQueries: true };

/** Installs a plugin; its card then offers Configure and Uninstall. */
export function useInstallPluginMutation() {
  const [install, { loading }] = useMutation(InstallPluginDocument, refetch);
  const toastOutcome = useToastOutcome();
  const run = (plugin: Plugin) =>
    toastOutcome(install({ variables: { key: plugin.provider } }), () => `${plugin.name} installed. Configure it, enable it, then pick it as Default Storage.`);
  return [run, { loading }] as const;
}

/** Uninstalls a plugin: new results fall back to this server; its settings are kept. */
export function useUninstallPluginMutation() {
  const [uninstall, { loading }] = useMutation(UninstallPluginDocument, refetch);
  const toastOutcome = useToastOutcome();
  const run = (plugin: Plugin) =>
    toastOutcome(
      uninstall({ variables: { key: plugin.provider } }),
      () => `${plugin.name} uninstalled. New results stay on this server; its settings are kept.`,
    );
  return [run, { loading }] as const;
}
