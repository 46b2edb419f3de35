import type { EntityManager } from '@mikro-orm/postgresql';
import {
  cleanSettings,
  emptySettings,
  isProviderKey,
  LOCAL_STORAGE,
  placeOf,
  PROVIDERS,
  type ProviderKey,
  type ProviderSettings,
  type StorageKey,
} from '@offload/types';
import type { CacheReader } from '../db/shared-cache.js';
import { InvalidInputError, NotFoundError, RefusedError } from '../domain/errors.js';
import { StorageError } from './drivers/errors.js';
import { LocationRepository, type LocationRow, type LocationUsage } from './location.repository.js';
import { SettingsDecryptError, type SettingsCipher } from './settings-cipher.js';
import { settingsInput } from './settings-input.js';

/** The results disk: a location like any other, always there. */
export const LOCAL_LOCATION_ID = 1;

export interface StorageLocation extends LocationRow {
  provider: StorageKey;
}

/** What Test connection needs to know about a place. */
export interface ReachableSettings {
  key: ProviderKey;
  settings: ProviderSettings;
  decryptError: string | null;
  configured: boolean;
  missing: string[];
}

/** The name a location's sealed settings are bound to: one location's ciphertext opens nowhere else. */
export const sealedAs = (identity: string) => `location:${identity}`;

/**
 * Where results live. A result records its location; the location knows how to reach its
 * bucket (its own sealed copy of the settings it was created or last updated with) and where
 * its objects are served from. Saving provider settings makes their place the provider's
 * current location; earlier locations keep serving, signing and deleting their results.
 */
export class StorageLocations {
  private rows?: Promise<StorageLocation[]>;
  /** The same rows by id, once loaded: field resolvers of a listing read them without a promise each. */
  private byId?: Map<number, StorageLocation>;
  private usages?: Promise<Map<number, LocationUsage>>;
  /** By location row: a reloaded list (new credentials, a new URL) is opened afresh. */
  private readonly opened = new WeakMap<StorageLocation, ReachableSettings>();
  private readonly repository: LocationRepository;

  constructor(
    private readonly em: EntityManager,
    private readonly cipher: SettingsCipher,
    private readonly cache: CacheReader,
  ) {
    this.repository = new LocationRepository(em);
  }

  /** Every location, the results disk first (shared by the requests of this process: never modify one). */
  list(): Promise<StorageLocation[]> {
    this.rows ??= this.cache
      .read('storage_location', 'all', () => this.repository.all())
      .then((rows) => rows!.map((row) => ({ ...row, provider: row.provider as StorageKey })))
      .then((locations) => {
        this.byId = new Map(locations.map((l) => [l.id, l]));
        return locations;
      });
    return this.rows;
  }

  async get(id: number): Promise<StorageLocation | null> {
    await this.list();
    return this.byId!.get(id) ?? null;
  }

  /**
   * `use` of the location with `id` (null: no such location): at once when the list is loaded — a
   * listing's 500 field resolvers then make no promise each — or once it is.
   */
  withLocation<T>(id: number, use: (location: StorageLocation | null) => T): T | Promise<T> {
    return this.byId ? use(this.byId.get(id) ?? null) : this.get(id).then(use);
  }

  async require(id: number): Promise<StorageLocation> {
    const location = await this.get(id);
    if (!location) throw new NotFoundError(`No storage location with id ${id}`);
    return location;
  }

  /** One location's usage; every location's is read once per instance (a request, a job). */
  async usageOf(id: number): Promise<LocationUsage | null> {
    this.usages ??= this.repository.usage();
    return (await this.usages).get(id) ?? null;
  }

  foldUsage(): Promise<number> {
    return this.repository.foldUsage();
  }

  private changed(): void {
    this.cache.invalidate('storage_location');
    this.rows = undefined;
    this.byId = undefined;
  }

  /**
   * Records where these settings put results, inside the caller's transaction (`tx`): complete
   * settings make their place the provider's current location — a new one for a new bucket,
   * account or endpoint; the same one, with the new Public / CDN URL and credentials, otherwise.
   * Incomplete settings point nowhere: the provider has no current location.
   */
  static async record(tx: EntityManager, cipher: SettingsCipher, key: ProviderKey, settings: ProviderSettings): Promise<void> {
    const repository = new LocationRepository(tx);
    if (PROVIDERS[key].missing(settings).length) return repository.retireAll(key);
    await repository.makeCurrent(placeOf(key, settings), settings.publicUrl, (identity) => cipher.encrypt(settings, sealedAs(identity)));
  }

  /**
   * The location these (complete) settings upload to: the one with their identity. Saving the
   * settings recorded it; only settings saved without one (none since locations exist) record it
   * here. Which location is current stays the settings' business: a process whose cache is a
   * moment behind uploads where its settings say, and records exactly that.
   */
  async uploadTarget(key: ProviderKey, settings: ProviderSettings): Promise<StorageLocation> {
    const identity = placeOf(key, settings).identity;
    const find = async () => (await this.list()).find((l) => l.identity === identity);
    const found = await find();
    if (found) return found;
    await this.em.transactional((tx) => StorageLocations.record(tx, this.cipher, key, settings));
    this.changed();
    return (await find())!;
  }

  /** The settings a bucket location is reached with, credentials included, and its Public / CDN URL. */
  settingsOf(location: StorageLocation, operation: 'read' | 'delete' | 'sign' | 'write' = 'read'): ProviderSettings {
    const reachable = this.reachable(location);
    if (reachable.decryptError) throw new StorageError('INVALID_CONFIGURATION', operation, location.bucket, reachable.decryptError);
    return reachable.settings;
  }

  /** A location's settings as Test connection sees them (a decrypt failure is a result, not a throw); opened once per instance. */
  reachable(location: StorageLocation): ReachableSettings {
    let reachable = this.opened.get(location);
    if (!reachable) this.opened.set(location, (reachable = this.open(location)));
    return reachable;
  }

  private open(location: StorageLocation): ReachableSettings {
    if (!isProviderKey(location.provider)) throw new InvalidInputError('The results disk is not a bucket', 'id');
    const key = location.provider;
    let settings = emptySettings(key);
    let decryptError: string | null = null;
    try {
      settings = { ...settings, ...(this.cipher.decrypt(location.sealed, sealedAs(location.identity)) as ProviderSettings), publicUrl: location.publicUrl };
    } catch (error) {
      if (!(error instanceof SettingsDecryptError)) throw error;
      decryptError = `The credentials of ${describeLocation(location)} cannot be decrypted with the current APP_KEY`;
    }
    const missing = PROVIDERS[key].missing(settings);
    return { key, settings, decryptError, configured: !decryptError && missing.length === 0, missing };
  }

  /**
   * Changes a retired location's Public / CDN URL (every URL of its results follows) or its
   * credentials (after a key rotation). The current location is changed through its provider's
   * settings, which it follows.
   */
  async updateRetired(id: number, input: { publicUrl?: string | null; values?: Record<string, unknown> | null }): Promise<StorageLocation> {
    const location = await this.require(id);
    if (!isProviderKey(location.provider)) throw new InvalidInputError('The results disk has no Public / CDN URL or credentials to change', 'id');
    const spec = PROVIDERS[location.provider];
    if (location.current) {
      throw new RefusedError('LOCATION_IN_USE', `This is where ${spec.label} stores new results: change it in the ${spec.label} settings`);
    }
    const given = settingsInput(spec, { ...(input.values ?? {}), ...(input.publicUrl == null ? {} : { publicUrl: input.publicUrl }) });
    const notCredential = Object.keys(given).find((name) => name !== 'publicUrl' && !spec.credentials.includes(name));
    if (notCredential)
      throw new InvalidInputError(`values.${notCredential}: only the credentials (${spec.credentials.join(', ')}) of a location can change`, notCredential);
    const current = this.reachable(location);
    const next = cleanSettings(location.provider, { ...(current.decryptError ? emptySettings(location.provider) : current.settings), ...given });
    const problems = spec.validate(next);
    if (problems.length) throw InvalidInputError.fromProblems(problems);
    const credentialsGiven = spec.credentials.some((name) => name in given);
    if (current.decryptError && !credentialsGiven) throw new InvalidInputError(`${current.decryptError}: enter its credentials again`, spec.credentials[0]);
    await this.repository.update(id, {
      publicUrl: next.publicUrl,
      sealed: credentialsGiven ? this.cipher.encrypt(next, sealedAs(location.identity)) : undefined,
    });
    this.changed();
    return this.require(id);
  }

  /** Removes a retired location that holds no results (its sealed credentials with it). */
  async forget(id: number): Promise<void> {
    const location = await this.require(id);
    if (location.provider === LOCAL_STORAGE) throw new RefusedError('LOCATION_IN_USE', 'The results disk cannot be forgotten');
    if (location.current) throw new RefusedError('LOCATION_IN_USE', 'This is where new results are stored: point the provider elsewhere first');
    if (!(await this.repository.forget(id))) {
      throw new RefusedError('LOCATION_IN_USE', `${describeLocation(location)} still holds results: delete or move them before forgetting it`);
    }
    this.changed();
  }
}

/** "Cloudflare R2 bucket media-a", "the results disk". */
function describeLocation(location: Pick<StorageLocation, 'provider' | 'bucket'>): string {
  return isProviderKey(location.provider) ? `${PROVIDERS[location.provider].label} bucket ${location.bucket}` : 'the results disk';
}
