import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { ADMIN_ROLE, PROVIDER_KEYS, type ProviderKey } from '@offload/types';
import type { Context } from '../../graphql/context.js';
import type { ProviderState, StorageSettingsService } from '../storage-settings.service.js';
import { ProviderKeyEnum } from '../../graphql/enums.js';
import { Plugin } from './storage.types.js';

const toPlugin = (service: StorageSettingsService, state: ProviderState): Plugin => ({
  key: state.key,
  provider: state.key,
  name: state.spec.pluginName,
  description: state.spec.description,
  pricing: state.spec.pricing,
  freeForExtendedLicense: state.spec.freeForExtendedLicense,
  owned: state.owned,
  installed: state.installed,
  action: service.pluginAction(state),
  checkoutUrl: service.checkoutUrl(state.key),
  configPath: `/general/plugins/${state.key}`,
});

@Resolver()
export class PluginResolver {
  @Authorized(ADMIN_ROLE)
  @Query(() => [Plugin], { description: 'The storage plugin marketplace.' })
  async plugins(@Ctx() ctx: Context): Promise<Plugin[]> {
    const states = await Promise.all(PROVIDER_KEYS.map((key) => ctx.storageSettings.provider(key)));
    return states.map((s) => toPlugin(ctx.storageSettings, s));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => Plugin, {
    description: 'Installs a plugin the license allows or that was purchased. Nothing is offloaded until it is configured, enabled and selected.',
  })
  async installPlugin(@Arg('key', () => ProviderKeyEnum) key: ProviderKey, @Ctx() ctx: Context): Promise<Plugin> {
    const state = await ctx.storageSettings.installPlugin(key);
    ctx.logger.info({ plugin: key }, 'plugin installed');
    return toPlugin(ctx.storageSettings, state);
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => Plugin, { description: 'New results fall back to local storage; settings are kept, and offloaded results keep serving.' })
  async uninstallPlugin(@Arg('key', () => ProviderKeyEnum) key: ProviderKey, @Ctx() ctx: Context): Promise<Plugin> {
    const state = await ctx.storageSettings.uninstallPlugin(key);
    ctx.logger.info({ plugin: key }, 'plugin uninstalled');
    return toPlugin(ctx.storageSettings, state);
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => Plugin, { description: 'Records that the checkout for a paid plugin completed, so it can be installed.' })
  async recordPluginPurchase(@Arg('key', () => ProviderKeyEnum) key: ProviderKey, @Ctx() ctx: Context): Promise<Plugin> {
    const state = await ctx.storageSettings.recordPurchase(key);
    ctx.logger.info({ plugin: key }, 'plugin purchase recorded');
    return toPlugin(ctx.storageSettings, state);
  }
}
