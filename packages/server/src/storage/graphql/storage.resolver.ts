import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import {
  ADMIN_ROLE,
  LOCAL_STORAGE,
  LOCAL_STORAGE_LABEL,
  PROVIDERS,
  effectiveEndpoint,
  type ProviderKey,
  type ProviderSettings,
  type StorageKey,
} from '@offload/types';
import type { Context } from '../../graphql/context.js';
import { InvalidInputError, tooManyRequests } from '../../domain/errors.js';
import { testConnection } from '../connection-test.js';
import type { DefaultStorage, ProviderState } from '../storage-settings.service.js';
import { ProviderKeyEnum, StorageKeyEnum } from '../../graphql/enums.js';
import {
  AmazonS3Settings,
  AmazonS3SettingsInput,
  CloudflareR2Settings,
  CloudflareR2SettingsInput,
  ConnectionTestResult,
  DefaultStorageState,
  StorageOption,
  StorageProvider,
  WasabiSettings,
  WasabiSettingsInput,
} from './storage.types.js';

const label = (key: StorageKey) => (key === LOCAL_STORAGE ? LOCAL_STORAGE_LABEL : PROVIDERS[key].label);
const option = (key: StorageKey): StorageOption => ({ key, label: label(key) });

function common(state: ProviderState) {
  const s = state.settings;
  return {
    enabled: s.enabled,
    deleteLocalCopy: s.deleteLocalCopy,
    accessKeyId: s.accessKeyId,
    hasSecretAccessKey: Boolean(s.secretAccessKey),
    bucket: s.bucket,
    publicUrl: s.publicUrl,
    keyPrefix: s.keyPrefix,
    usePathStyleEndpoint: s.usePathStyleEndpoint,
    configured: state.configured,
    missingFields: state.missing,
    settingsError: state.decryptError ? 'The stored settings cannot be decrypted with the current APP_KEY; enter the credentials again or restore the previous key.' : null,
  };
}

const r2Settings = (state: ProviderState): CloudflareR2Settings => ({
  ...common(state),
  accountId: state.settings.accountId,
  customEndpoint: state.settings.customEndpoint,
  endpoint: effectiveEndpoint('cloudflare-r2', state.settings) ?? null,
  region: 'auto',
});

const s3LikeSettings = (state: ProviderState): AmazonS3Settings => ({
  ...common(state),
  region: state.settings.region,
  endpoint: state.settings.endpoint,
  effectiveEndpoint: effectiveEndpoint(state.key, state.settings) ?? null,
});

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
  @Query(() => CloudflareR2Settings)
  async cloudflareR2Settings(@Ctx() ctx: Context): Promise<CloudflareR2Settings> {
    return r2Settings(await ctx.storageSettings.provider('cloudflare-r2'));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => CloudflareR2Settings, { description: 'Omitted fields keep their values; a blank secret keeps the stored one.' })
  async saveCloudflareR2Settings(@Arg('input', () => CloudflareR2SettingsInput) input: CloudflareR2SettingsInput, @Ctx() ctx: Context): Promise<CloudflareR2Settings> {
    return r2Settings(await this.save(ctx, 'cloudflare-r2', input));
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => AmazonS3Settings)
  async amazonS3Settings(@Ctx() ctx: Context): Promise<AmazonS3Settings> {
    return s3LikeSettings(await ctx.storageSettings.provider('amazon-s3'));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => AmazonS3Settings, { description: 'Omitted fields keep their values; a blank secret keeps the stored one.' })
  async saveAmazonS3Settings(@Arg('input', () => AmazonS3SettingsInput) input: AmazonS3SettingsInput, @Ctx() ctx: Context): Promise<AmazonS3Settings> {
    return s3LikeSettings(await this.save(ctx, 'amazon-s3', input));
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => WasabiSettings)
  async wasabiSettings(@Ctx() ctx: Context): Promise<WasabiSettings> {
    return s3LikeSettings(await ctx.storageSettings.provider('wasabi'));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => WasabiSettings, { description: 'Omitted fields keep their values; a blank secret keeps the stored one.' })
  async saveWasabiSettings(@Arg('input', () => WasabiSettingsInput) input: WasabiSettingsInput, @Ctx() ctx: Context): Promise<WasabiSettings> {
    return s3LikeSettings(await this.save(ctx, 'wasabi', input));
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => ConnectionTestResult, {
    description: 'Saves the given settings first (if any), then uploads a probe object, reads it back, checks it through the Public / CDN URL and deletes it.',
  })
  async testStorageConnection(
    @Arg('provider', () => ProviderKeyEnum) provider: ProviderKey,
    @Ctx() ctx: Context,
    @Arg('cloudflareR2', () => CloudflareR2SettingsInput, { nullable: true }) cloudflareR2?: CloudflareR2SettingsInput,
    @Arg('amazonS3', () => AmazonS3SettingsInput, { nullable: true }) amazonS3?: AmazonS3SettingsInput,
    @Arg('wasabi', () => WasabiSettingsInput, { nullable: true }) wasabi?: WasabiSettingsInput,
  ): Promise<ConnectionTestResult> {
    const given = { 'cloudflare-r2': cloudflareR2, 'amazon-s3': amazonS3, wasabi };
    const mismatched = Object.entries(given).find(([key, value]) => value && key !== provider);
    if (mismatched) throw new InvalidInputError(`Settings for ${mismatched[0]} were given, but the test is for ${provider}`, 'provider');
    const wait = ctx.rateLimits.connectionTest.retryAfter(ctx.requestIp);
    if (wait > 0) throw tooManyRequests('connection tests', wait);
    ctx.rateLimits.connectionTest.hit(ctx.requestIp);
    const input = given[provider];
    const state = input ? await this.save(ctx, provider, input) : await ctx.storageSettings.provider(provider);
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
  @Query(() => [StorageOption], { description: 'What the Default Storage selector lists: the local server always, then every installed, enabled, configured provider.' })
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

  private async save(ctx: Context, key: ProviderKey, input: Partial<ProviderSettings>): Promise<ProviderState> {
    const state = await ctx.storageSettings.saveProvider(key, input);
    ctx.logger.info({ provider: key, enabled: state.settings.enabled }, 'storage provider settings saved');
    return state;
  }
}
