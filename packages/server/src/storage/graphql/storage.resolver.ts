import { JSONObjectResolver } from 'graphql-scalars';
import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { ADMIN_ROLE, LOCAL_STORAGE, LOCAL_STORAGE_LABEL, PROVIDERS, type ProviderKey, type StorageKey } from '@offload/types';
import type { Context } from '../../graphql/context.js';
import { InvalidInputError } from '../../domain/errors.js';
import { testConnection } from '../connection-test.js';
import type { DefaultStorage, ProviderState } from '../storage-settings.service.js';
import { ProviderKeyEnum, StorageKeyEnum } from '../../graphql/enums.js';
import { ConnectionTestResult, DefaultStorageState, ProviderSettingsView, StorageOption, StorageProvider } from './storage.types.js';

const label = (key: StorageKey) => (key === LOCAL_STORAGE ? LOCAL_STORAGE_LABEL : PROVIDERS[key].label);
const option = (key: StorageKey): StorageOption => ({ key, label: label(key) });

function settingsView(state: ProviderState): ProviderSettingsView {
  const secrets = state.spec.fields.filter((f) => f.kind === 'secret').map((f) => f.name);
  return {
    provider: state.key,
    values: Object.fromEntries(
      state.spec.fields.filter((f) => f.kind !== 'secret').map((f) => [f.name, state.settings[f.name] ?? (f.kind === 'boolean' ? false : '')]),
    ),
    storedSecrets: secrets.filter((name) => Boolean(state.settings[name])),
    endpoint: state.spec.endpoint(state.settings) ?? null,
    configured: state.configured,
    missingFields: state.missing,
    settingsError: state.decryptError
      ? 'The stored settings cannot be decrypted with the current APP_KEY; enter the credentials again or restore the previous key.'
      : null,
  };
}

const defaultStorageState = (d: DefaultStorage): DefaultStorageState => ({
  selected: option(d.selected),
  effective: option(d.effective),
  fallbackInEffect: d.fallbackReason !== null,
  fallbackReason: d.fallbackReason,
});

@Resolver()
export class StorageResolver {
  @Authorized(ADMIN_ROLE)
  @Query(() => [StorageProvider], { description: 'Every bucket provider, installed or not, and whether it can be the Default Storage.' })
  async storageProviders(@Ctx() ctx: Context): Promise<StorageProvider[]> {
    const [providers, current] = await Promise.all([ctx.storageSettings.providers(), ctx.storageSettings.defaultStorage()]);
    return providers.map((p) => ({
      key: p.key,
      label: p.spec.label,
      installed: p.installed,
      enabled: p.settings.enabled,
      configured: p.configured,
      missingFields: p.missing,
      selectable: p.selectable,
      active: current.effective === p.key,
      problem: p.problem,
    }));
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => ProviderSettingsView, { description: 'A provider’s settings (secrets only as storedSecrets).' })
  async providerSettings(@Arg('provider', () => ProviderKeyEnum) provider: ProviderKey, @Ctx() ctx: Context): Promise<ProviderSettingsView> {
    return settingsView(await ctx.storageSettings.provider(provider));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => ProviderSettingsView, {
    description:
      'Saves a provider’s settings, given by field name (its catalog entry lists them). Omitted fields keep their values; a blank secret keeps the stored one.',
  })
  async saveProviderSettings(
    @Arg('provider', () => ProviderKeyEnum) provider: ProviderKey,
    @Arg('values', () => JSONObjectResolver) values: Record<string, unknown>,
    @Ctx() ctx: Context,
  ): Promise<ProviderSettingsView> {
    return settingsView(await this.save(ctx, provider, values));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => ConnectionTestResult, {
    description: 'Saves the given settings first (if any), then uploads a probe object, reads it back, checks it through the Public / CDN URL and deletes it.',
  })
  async testStorageConnection(
    @Arg('provider', () => ProviderKeyEnum) provider: ProviderKey,
    @Ctx() ctx: Context,
    @Arg('values', () => JSONObjectResolver, { nullable: true, description: 'Settings to save first, as for saveProviderSettings.' })
    values?: Record<string, unknown> | null,
  ): Promise<ConnectionTestResult> {
    await ctx.rateLimits.connectionTest.consume(ctx.requestIp, 'connection tests');
    const state = values ? await this.save(ctx, provider, values) : await ctx.storageSettings.provider(provider);
    if (!state.installed) throw new InvalidInputError(`Install the ${state.spec.pluginName} plugin first`, 'provider');
    const result = await testConnection(state, ctx.drivers);
    ctx.logger.info({ provider, ok: result.ok, step: result.step, code: result.code, durationMs: result.durationMs }, 'storage connection tested');
    return result;
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => DefaultStorageState, { description: 'The chosen Default Storage and where new results actually go.' })
  async defaultStorage(@Ctx() ctx: Context): Promise<DefaultStorageState> {
    return defaultStorageState(await ctx.storageSettings.defaultStorage());
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => [StorageOption], {
    description: 'What the Default Storage selector lists: the local server always, then every installed, enabled, configured provider.',
  })
  async storageOptions(@Ctx() ctx: Context): Promise<StorageOption[]> {
    return (await ctx.storageSettings.options()).map(option);
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => DefaultStorageState, { description: 'Makes a storage authoritative for new results only; nothing already stored moves.' })
  async setDefaultStorage(@Arg('storage', () => StorageKeyEnum) storage: StorageKey, @Ctx() ctx: Context): Promise<DefaultStorageState> {
    const result = defaultStorageState(await ctx.storageSettings.setDefaultStorage(storage));
    ctx.logger.info({ storage }, 'default storage changed');
    return result;
  }

  private async save(ctx: Context, key: ProviderKey, input: Record<string, unknown>): Promise<ProviderState> {
    const state = await ctx.storageSettings.saveProvider(key, input);
    ctx.logger.info({ provider: key, enabled: state.settings.enabled }, 'storage provider settings saved');
    return state;
  }
}
