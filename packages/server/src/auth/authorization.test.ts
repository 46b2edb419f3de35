import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_ADMIN, type TestApp } from '../../test/harness.js';
import { buildGraphqlSchema } from '../http/graphql-schema.js';
import { SIGN_IN_REQUIRED } from './graphql/auth-checker.js';

/**
 * Who may reach each operation. Every operation in the schema must be listed: a new one
 * without an entry fails this test, and so does removing an `@Authorized` from one.
 */
const ACCESS: Record<string, 'public' | 'signed-in' | 'admin' | { scopes: string[] }> = {
  'Query.me': 'public',
  'Mutation.signIn': 'public',
  'Mutation.signOut': 'public',
  'Query.serverInfo': 'signed-in',
  'Query.apiTokens': 'admin',
  'Mutation.createApiToken': 'admin',
  'Mutation.revokeApiToken': 'admin',
  'Query.storageProviders': 'admin',
  'Query.providerSettings': 'admin',
  'Mutation.saveProviderSettings': 'admin',
  'Mutation.testStorageConnection': 'admin',
  'Query.defaultStorage': 'admin',
  'Query.storageOptions': 'admin',
  'Mutation.setDefaultStorage': 'admin',
  'Query.plugins': 'admin',
  'Mutation.installPlugin': 'admin',
  'Mutation.uninstallPlugin': 'admin',
  'Mutation.recordPluginPurchase': 'admin',
  'Query.storageLocations': 'admin',
  'Mutation.updateStorageLocation': 'admin',
  'Mutation.testStorageLocation': 'admin',
  'Mutation.forgetStorageLocation': 'admin',
  'Query.overview': 'admin',
  'Mutation.finalizeCreative': { scopes: ['CREATIVES_WRITE'] },
  'Query.creative': { scopes: ['CREATIVES_READ'] },
  'Query.creatives': { scopes: ['CREATIVES_READ'] },
  'Query.creativeCount': { scopes: ['CREATIVES_READ'] },
  'Mutation.deleteCreative': { scopes: ['CREATIVES_WRITE'] },
  'Mutation.retryOffload': 'admin',
  'Query.planMoveResults': 'admin',
  'Mutation.moveResults': 'admin',
  'Query.planRemoveLocalCopies': 'admin',
  'Mutation.removeLocalCopies': 'admin',
  'Query.planVerifyStoredObjects': 'admin',
  'Query.planScanResultsDisk': 'admin',
  'Mutation.scanResultsDisk': 'admin',
  'Mutation.verifyStoredObjects': 'admin',
  'Query.bulkJobs': 'admin',
  'Query.bulkJob': 'admin',
  'Mutation.pauseBulkJob': 'admin',
  'Mutation.resumeBulkJob': 'admin',
  'Mutation.cancelBulkJob': 'admin',
  'Mutation.retryBulkJobFailures': 'admin',
};

const CALLERS = ['anonymous', 'token:CREATIVES_READ', 'token:CREATIVES_WRITE', 'admin'] as const;
type Caller = (typeof CALLERS)[number];

const mayReach = (access: (typeof ACCESS)[string], caller: Caller) => {
  if (access === 'public') return true;
  if (caller === 'anonymous') return false;
  if (caller === 'admin' || access === 'signed-in') return true;
  if (access === 'admin') return false;
  return access.scopes.includes(caller.slice('token:'.length));
};

/** A syntactically valid literal for any input type, so the call reaches the auth check. */
function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return `[${literal(type.ofType)}]`;
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).map((f) => `${f.name}: ${literal(f.type)}`);
    return `{ ${fields.join(', ')} }`;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
      case 'Float':
        return '1';
      case 'Boolean':
        return 'false';
      case 'ID':
        return '"00000000-0000-4000-8000-000000000000"';
      case 'DateTimeISO':
        return '"2026-01-01T00:00:00.000Z"';
      case 'JSONObject':
        return '{}';
      default:
        return '"x"';
    }
  }
  throw new Error(`no literal for ${String(type)}`);
}

function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const args = field.args.length ? `(${field.args.map((a) => `${a.name}: ${literal(a.type)}`).join(', ')})` : '';
  const selection = isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
  return `${kind} { ${field.name}${args}${selection} }`;
}

let app: TestApp;
const tokens: Record<string, Record<string, string>> = {};
beforeAll(async () => {
  app = await startTestApp();
  tokens['token:CREATIVES_READ'] = await app.tokenHeaders(['CREATIVES_READ']);
  tokens['token:CREATIVES_WRITE'] = await app.tokenHeaders(['CREATIVES_WRITE']);
});
afterAll(() => app?.stop());

/** A fresh admin session per call: some operations (signOut) end the session they run in. */
async function headersFor(caller: Caller): Promise<Record<string, string>> {
  if (caller === 'anonymous') return {};
  if (caller !== 'admin') return tokens[caller]!;
  const res = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { id } }',
      variables: { e: TEST_ADMIN.email, p: TEST_ADMIN.password },
    }),
  });
  return { Cookie: res.headers.get('set-cookie')!.split(';')[0]! };
}

describe('who can reach each operation', async () => {
  const schema = await buildGraphqlSchema();
  const operations = [
    ...Object.values(schema.getQueryType()!.getFields()).map((f) => ({ name: `Query.${f.name}`, source: operationFor('query', f) })),
    ...Object.values(schema.getMutationType()!.getFields()).map((f) => ({ name: `Mutation.${f.name}`, source: operationFor('mutation', f) })),
  ];

  it('lists every operation in the schema, and nothing else', () => {
    expect(operations.map((o) => o.name).sort()).toEqual(Object.keys(ACCESS).sort());
  });

  for (const operation of operations) {
    for (const caller of CALLERS) {
      const access = ACCESS[operation.name];
      if (!access) continue;
      const expected = mayReach(access, caller);
      it(`${operation.name} ${expected ? 'is reachable' : 'is refused'} for ${caller}`, async () => {
        const res = await app.graphql(operation.source, {}, await headersFor(caller));
        const denied = (res.errors ?? []).some(
          (e) => e.extensions?.code === 'FORBIDDEN' || (e.extensions?.code === 'UNAUTHENTICATED' && e.message === SIGN_IN_REQUIRED),
        );
        expect(denied, JSON.stringify(res.errors)).toBe(!expected);
        if (!expected) expect(res.data?.[operation.name.split('.')[1]!] ?? null).toBeNull();
      });
    }
  }
});
