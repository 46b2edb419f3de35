import { graphqlEnumName, PROVIDER_KEYS, PROVIDERS } from '@offload/types';
import { isEnumType, isInputObjectType, isObjectType, type GraphQLEnumType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/harness.js';
import { sampleServiceAccountKey } from '../../../test/storage-fixtures.js';
import { buildGraphqlSchema } from '../../http/graphql-schema.js';

const CANARY = 'a-secret-value-0123456789';

/** The registry in @offload/types is the one list of providers: everything a provider has follows from its entry. */
describe('the provider registry', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ LICENSE_TYPE: 'extended' });
  });
  afterAll(() => app?.stop());

  it('is what the ProviderKey and StorageKey enums list', async () => {
    const schema = await buildGraphqlSchema();
    const names = (type: string) => (schema.getType(type) as GraphQLEnumType).getValues().map((v) => v.name);
    expect(names('ProviderKey')).toEqual(PROVIDER_KEYS.map(graphqlEnumName));
    expect(names('StorageKey')).toEqual(['LOCAL', ...PROVIDER_KEYS.map(graphqlEnumName)]);
  });

  it('gives every provider the same GraphQL shape: no type, field or argument is named after one', async () => {
    const schema = await buildGraphqlSchema();
    const providerWords = PROVIDER_KEYS.map((key) => key.replace(/-/g, '').toLowerCase());
    const named: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || isEnumType(type)) continue;
      const words = [
        type.name,
        ...(isObjectType(type) || isInputObjectType(type)
          ? Object.values(type.getFields()).flatMap((f) => [f.name, ...('args' in f ? f.args.map((a: { name: string }) => a.name) : [])])
          : []),
      ];
      for (const word of words) if (providerWords.some((p) => word.toLowerCase().includes(p))) named.push(`${type.name}: ${word}`);
    }
    expect(named).toEqual([]);
  });

  it.each(PROVIDER_KEYS.map((key) => [key]))(
    'makes %s a plugin card, and its settings exactly the fields of its catalog entry (secrets never returned)',
    async (key) => {
      const spec = PROVIDERS[key];
      const admin = await app.adminHeaders();
      const plugins = await app.graphql<{ plugins: { key: string; name: string; pricing: string; configPath: string }[] }>(
        '{ plugins { key name pricing configPath } }',
        {},
        admin,
      );
      expect(plugins.data?.plugins).toContainEqual({ key, name: spec.pluginName, pricing: spec.pricing, configPath: `/general/plugins/${key}` });

      const provider = graphqlEnumName(key);
      await app.graphql(`mutation { installPlugin(key: ${provider}) { installed } }`, {}, admin);
      const secrets = spec.fields.filter((f) => f.kind === 'secret').map((f) => f.name);
      // Each secret as its provider expects it (a key file for GCS), all carrying the same canary.
      const secret = (name: string) => (name === 'serviceAccountKey' ? JSON.stringify(sampleServiceAccountKey({ private_key_id: CANARY })) : CANARY);
      const values = Object.fromEntries(secrets.map((name) => [name, secret(name)]));
      const saved = await app.graphql<{ saveProviderSettings: { values: Record<string, unknown>; storedSecrets: string[]; missingFields: string[] } }>(
        'mutation($p: ProviderKey!, $v: JSONObject!) { saveProviderSettings(provider: $p, values: $v) { values storedSecrets missingFields } }',
        { p: provider, v: values },
        admin,
      );
      expect(Object.keys(saved.data!.saveProviderSettings.values)).toEqual(spec.fields.filter((f) => f.kind !== 'secret').map((f) => f.name));
      expect(saved.data!.saveProviderSettings.storedSecrets).toEqual(secrets);
      expect(JSON.stringify(saved)).not.toContain(CANARY);
      expect(saved.data!.saveProviderSettings.missingFields).toEqual(spec.missing({ ...saved.data!.saveProviderSettings.values, ...values } as never));
    },
  );
});
