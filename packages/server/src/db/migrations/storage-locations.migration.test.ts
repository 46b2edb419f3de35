import { randomBytes, randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { startTestApp } from '../../../test/harness.js';
import { createTestDatabase } from '../../../test/postgres.js';
import { formatAppKey } from '../../config/app-key.js';
import { createLogger } from '../../log/logger.js';
import { SettingsCipher } from '../../storage/settings-cipher.js';
import { ormConfig } from '../orm.js';
import { setMigrationContext } from './context.js';

const BEFORE_LOCATIONS = 'Migration20261125050000_cache_notifications';
const LEGACY_R2 = {
  enabled: true,
  deleteLocalCopy: false,
  accessKeyId: 'AKLEGACY',
  secretAccessKey: 'legacy-secret-value',
  accountId: '',
  bucket: 'legacy-bucket',
  customEndpoint: 'https://legacy.example.test',
  publicUrl: 'https://cdn.legacy.example.test',
  keyPrefix: 'media',
  usePathStyleEndpoint: true,
};

/**
 * A database as the previous release left it: R2 settings sealed with `key`, one result on the
 * results disk and two in the R2 bucket (recorded, as then, by provider only).
 */
async function legacyDatabase(url: string, key: Buffer): Promise<{ local: string; offloaded: string[] }> {
  const orm = await MikroORM.init(ormConfig(url, []));
  try {
    await orm.getMigrator().up({ to: BEFORE_LOCATIONS });
    const cipher = new SettingsCipher({ current: key, previous: [] });
    const em = orm.em.fork();
    await em.execute(`insert into setting (key, value) values ('provider:cloudflare-r2', ?::jsonb)`, [
      JSON.stringify(cipher.encrypt(LEGACY_R2, 'provider:cloudflare-r2')),
    ]);
    const ids = { local: randomUUID(), offloaded: [randomUUID(), randomUUID()] };
    await em.execute(
      `insert into creative (id, path, studio, content_type, size, location, offload_status) values (?, 'local.png', 'IMAGE', 'image/png', 10, 'local', 'LOCAL')`,
      [ids.local],
    );
    for (const [i, id] of ids.offloaded.entries()) {
      await em.execute(
        `insert into creative (id, path, studio, content_type, size, location, object_key, offload_status, local_copy)
         values (?, ?, 'IMAGE', 'image/png', 1000, 'cloudflare-r2', ?, 'OFFLOADED', false)`,
        [id, `r${i}.png`, `media/r${i}.png`],
      );
    }
    return ids;
  } finally {
    await orm.close(true);
  }
}

describe('the storage locations migration', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeEach(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
  });
  afterEach(() => db.drop());

  it('attaches existing results to a location built from the settings they were stored under, counted, with its credentials sealed', async () => {
    const key = randomBytes(32);
    const ids = await legacyDatabase(db.url, key);
    const app = await startTestApp({ DATABASE_URL: db.url, APP_KEY: formatAppKey(key), LICENSE_TYPE: 'extended' });
    try {
      const admin = await app.adminHeaders();
      const res = await app.graphql<{ storageLocations: Record<string, unknown>[] }>(
        '{ storageLocations { provider bucket endpoint publicUrl current settingsError usage { results bytes } } }',
        {},
        admin,
      );
      expect(res.data?.storageLocations).toEqual([
        {
          provider: 'LOCAL',
          bucket: null,
          endpoint: null,
          publicUrl: `${app.config.publicUrl}/results`,
          current: true,
          settingsError: null,
          usage: { results: 1, bytes: 10 },
        },
        {
          provider: 'CLOUDFLARE_R2',
          bucket: 'legacy-bucket',
          endpoint: 'https://legacy.example.test',
          publicUrl: 'https://cdn.legacy.example.test',
          current: true,
          settingsError: null,
          usage: { results: 2, bytes: 2000 },
        },
      ]);
      const platform = await app.tokenHeaders(['CREATIVES_READ']);
      const creative = (id: string) =>
        app.graphql<{ creative: { location: string; url: string; storageLocation: { bucket: string | null } } }>(
          'query($id: ID!) { creative(id: $id) { location url storageLocation { bucket } } }',
          { id },
          platform,
        );
      expect((await creative(ids.offloaded[0]!)).data?.creative).toEqual({
        location: 'CLOUDFLARE_R2',
        url: 'https://cdn.legacy.example.test/media/r0.png',
        storageLocation: { bucket: 'legacy-bucket' },
      });
      expect((await creative(ids.local)).data?.creative).toMatchObject({ location: 'LOCAL', url: `${app.config.publicUrl}/results/local.png` });

      // The bucket changes afterwards: the migrated results stay where they are.
      await app.graphql(
        'mutation($v: JSONObject!) { saveProviderSettings(provider: CLOUDFLARE_R2, values: $v) { configured } }',
        { v: { bucket: 'new-bucket' } },
        admin,
      );
      expect((await creative(ids.offloaded[1]!)).data?.creative).toMatchObject({ url: 'https://cdn.legacy.example.test/media/r1.png' });
      expect(app.logs.text).not.toContain(LEGACY_R2.secretAccessKey);
    } finally {
      await app.stop();
    }
  });

  it('refuses to guess when the settings cannot be decrypted, naming the fix, and changes nothing', async () => {
    await legacyDatabase(db.url, randomBytes(32));
    const orm = await MikroORM.init(ormConfig(db.url, [], createLogger('silent')));
    try {
      setMigrationContext(new SettingsCipher({ current: randomBytes(32), previous: [] }));
      await expect(orm.getMigrator().up()).rejects.toThrow(/cloudflare-r2 results are stored: .*APP_PREVIOUS_KEYS/);
      const columns = await orm.em
        .fork()
        .execute(`select column_name from information_schema.columns where table_name = 'creative' and column_name like 'location%'`);
      expect(columns).toEqual([{ column_name: 'location' }]);
    } finally {
      setMigrationContext(undefined);
      await orm.close(true);
    }
  });
});
