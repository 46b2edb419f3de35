import type { EntityManager } from '@mikro-orm/postgresql';
import {
  LOCAL_STORAGE,
  PROVIDER_KEYS,
  PROVIDERS,
  cleanSettings,
  describeMissing,
  emptySettings,
  type PluginAction,
  type ProviderKey,
  type ProviderSettings,
  type ProviderSpec,
  type StorageKey,
} from '@offload/types';
import type { Config } from '../config/config.js';
import type { CacheReader } from '../db/shared-cache.js';
import { SettingsRepository } from './settings.repository.js';
import { InvalidInputError, RefusedError } from '../domain/errors.js';
import { settingsInput } from './settings-input.js';
import { StorageLocations } from './storage-locations.service.js';
import { SettingsCipher, SettingsDecryptError } from './settings-cipher.js';

/** Everything known about one provider right now. */
export interface ProviderState {
  key: ProviderKey;
  spec: ProviderSpec;
  installed: boolean;
  owned: boolean;
  /** Decrypted settings; empty ones when none are stored or they cannot be decrypted. */
  settings: ProviderSettings;
  hasStoredSettings: boolean;
  /** Why the stored settings could not be read, if they could not. */
  decryptError: string | null;
  /** Required fields still blank, by name. */
  missing: string[];
  configured: boolean;
  /** Installed, enabled, configured and readable: may be the Default Storage. */
  selectable: boolean;
  /** Why it is not selectable, in words for the admin. */
  problem: string | null;
}

export interface DefaultStorage {
  selected: StorageKey;
  effective: StorageKey;
  /** Set when `effective` is local although a provider is selected. */
  fallbackReason: string | null;
}

interface PluginRecord {
  installed: boolean;
  owned: boolean;
}

const pluginEntry = (key: ProviderKey) => `plugin:${key}`;
const providerEntry = (key: ProviderKey) => `provider:${key}`;
const DEFAULT_ENTRY = 'default-storage';

/**
 * Plugins, provider settings (one encrypted entry each) and the Default Storage choice:
 * all of it lives in the `setting` table, read from the process's cache (see SharedCache).
 */
export class StorageSettingsService {
  private rows?: Promise<ReadonlyMap<string, unknown>>;
  /** Decrypted once per instance: a listing of 500 creatives decrypts each provider once. */
  private readonly states = new Map<ProviderKey, Promise<ProviderState>>();

  private readonly repository: SettingsRepository;

  constructor(
    private readonly em: EntityManager,
    private readonly cipher: SettingsCipher,
    private readonly license: Config['license'],
    private readonly cache: CacheReader,
  ) {
    this.repository = new SettingsRepository(em);
  }

  /** Every entry's value (shared by the requests of this process: never modify one). */
  private entries(): Promise<ReadonlyMap<string, unknown>> {
    this.rows ??= this.cache.read('setting', 'all', () => this.repository.all()).then((rows) => rows!);
    return this.rows;
  }

  private async put(key: string, value: unknown): Promise<void> {
    await this.repository.put(key, value);
    this.changed();
  }

  private changed(): void {
    this.cache.invalidate('setting');
    this.rows = undefined;
    this.states.clear();
  }

  // ------------------------------------------------------------------ providers

  async providers(): Promise<ProviderState[]> {
    return Promise.all(PROVIDER_KEYS.map((key) => this.provider(key)));
  }

  provider(key: ProviderKey): Promise<ProviderState> {
    let state = this.states.get(key);
    if (!state) {
      state = this.load(key);
      this.states.set(key, state);
    }
    return state;
  }

  private async load(key: ProviderKey): Promise<ProviderState> {
    const rows = await this.entries();
    const plugin = (rows.get(pluginEntry(key)) as PluginRecord | undefined) ?? { installed: false, owned: false };
    const stored = rows.get(providerEntry(key));
    let settings = emptySettings(key);
    let decryptError: string | null = null;
    if (stored) {
      try {
        settings = { ...settings, ...(this.cipher.decrypt(stored, providerEntry(key)) as ProviderSettings) };
      } catch (error) {
        if (!(error instanceof SettingsDecryptError)) throw error;
        decryptError = error.message;
      }
    }
    const spec = PROVIDERS[key];
    const missing = spec.missing(settings);
    const configured = !decryptError && missing.length === 0;
    const problem = !plugin.installed
      ? `the ${spec.pluginName} plugin is not installed`
      : decryptError
        ? 'its stored settings can no longer be decrypted with the current APP_KEY (add the key they were saved with to APP_PREVIOUS_KEYS, or enter ' +
          'the credentials again)'
        : !configured
          ? `it is missing ${describeMissing(key, missing)}`
          : !settings.enabled
            ? 'it is disabled'
            : null;
    return {
      key,
      spec,
      installed: plugin.installed,
      owned: plugin.owned,
      settings,
      hasStoredSettings: Boolean(stored),
      decryptError,
      missing,
      configured,
      selectable: problem === null,
      problem,
    };
  }

  /**
   * Saves a provider's settings, given by field name. Omitted fields keep their stored value; a
   * blank or omitted secret keeps the stored secret. Enabling needs the required fields.
   */
  async saveProvider(key: ProviderKey, input: Record<string, unknown>): Promise<ProviderState> {
    const current = await this.provider(key);
    if (!current.installed) throw new RefusedError('PLUGIN_NOT_INSTALLED', `Install the ${current.spec.pluginName} plugin before configuring it`);
    const next = cleanSettings(key, { ...current.settings, ...settingsInput(current.spec, input) });
    const problems = current.spec.validate(next);
    if (problems.length) throw InvalidInputError.fromProblems(problems);
    const missing = current.spec.missing(next);
    if (next.enabled && missing.length) {
      throw new InvalidInputError(
        `${current.spec.label} cannot be enabled yet: fill in ${describeMissing(key, missing)}`,
        missing[0],
        missing.map((field) => ({ field, message: 'required to enable' })),
      );
    }
    // The settings and where they put results change together.
    await this.em.transactional(async (tx) => {
      await new SettingsRepository(tx).put(providerEntry(key), this.cipher.encrypt(next, providerEntry(key)));
      await StorageLocations.record(tx, this.cipher, key, next);
    });
    this.changed();
    this.cache.invalidate('storage_location');
    return this.provider(key);
  }

  // ------------------------------------------------------------- default storage

  async defaultStorage(): Promise<DefaultStorage> {
    const stored = (await this.entries()).get(DEFAULT_ENTRY) as { provider?: string } | undefined;
    const selected = (PROVIDER_KEYS as readonly string[]).includes(stored?.provider ?? '') ? (stored!.provider as ProviderKey) : LOCAL_STORAGE;
    if (selected === LOCAL_STORAGE) return { selected, effective: LOCAL_STORAGE, fallbackReason: null };
    const state = await this.provider(selected);
    return state.selectable
      ? { selected, effective: selected, fallbackReason: null }
      : {
          selected,
          effective: LOCAL_STORAGE,
          fallbackReason: `${state.spec.label} is selected, but ${state.problem}: new results are stored on this server until that is fixed.`,
        };
  }

  /** What the Default Storage selector lists: local always, then every selectable provider. */
  async options(): Promise<StorageKey[]> {
    return [LOCAL_STORAGE, ...(await this.providers()).filter((p) => p.selectable).map((p) => p.key)];
  }

  async setDefaultStorage(key: StorageKey): Promise<DefaultStorage> {
    if (key !== LOCAL_STORAGE) {
      const state = await this.provider(key);
      if (!state.selectable) throw new InvalidInputError(`${state.spec.label} cannot be the Default Storage: ${state.problem}`, 'provider');
    }
    await this.put(DEFAULT_ENTRY, { provider: key });
    return this.defaultStorage();
  }

  // -------------------------------------------------------------------- plugins

  pluginAction(state: ProviderState): PluginAction {
    if (state.installed) return 'UNINSTALL';
    return this.mayInstall(state) ? 'INSTALL' : 'PURCHASE';
  }

  checkoutUrl(key: ProviderKey): string | null {
    return this.license.checkoutUrl ? this.license.checkoutUrl.replace('{plugin}', encodeURIComponent(key)) : null;
  }

  private mayInstall(state: ProviderState): boolean {
    return state.spec.pricing === 'FREE' || state.owned || (state.spec.freeForExtendedLicense && this.license.type === 'extended');
  }

  /** Makes the config screen and provider exist. Nothing is offloaded until it is configured, enabled and selected. */
  async installPlugin(key: ProviderKey): Promise<ProviderState> {
    const state = await this.provider(key);
    if (state.installed) return state;
    if (!this.mayInstall(state)) {
      throw new RefusedError(
        'PURCHASE_REQUIRED',
        `This plugin is free only for Extended License holders. Purchase ${state.spec.pluginName} (or upgrade your license) to install it.`,
      );
    }
    await this.put(pluginEntry(key), { installed: true, owned: state.owned } satisfies PluginRecord);
    return this.provider(key);
  }

  /** New results fall back to local; the settings entry is kept, so a reinstall restores it. */
  async uninstallPlugin(key: ProviderKey): Promise<ProviderState> {
    const state = await this.provider(key);
    if (state.installed) await this.put(pluginEntry(key), { installed: false, owned: state.owned } satisfies PluginRecord);
    return this.provider(key);
  }

  async recordPurchase(key: ProviderKey): Promise<ProviderState> {
    const state = await this.provider(key);
    if (!state.owned) await this.put(pluginEntry(key), { installed: state.installed, owned: true } satisfies PluginRecord);
    return this.provider(key);
  }
}
