import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildGraphqlSchema } from '@offload/server/schema';

// Every GraphQL operation the admin SPA sends, checked against the server's schema: a schema
// change that would break a screen fails here, before a user finds it.
const adminSrc = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packages/admin/src');
const modules = readdirSync(adminSrc, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ts|tsx)$/.test(f) && !f.endsWith('.d.ts') && !/main\.tsx$|playground\.tsx$/.test(f));

const isDocument = (value: unknown): value is DocumentNode => typeof value === 'object' && value !== null && (value as DocumentNode).kind === 'Document';

describe('the admin SPA’s operations', async () => {
  const schema = await buildGraphqlSchema();
  const documents: [string, DocumentNode][] = [];
  for (const file of modules) {
    const exported = (await import(path.join(adminSrc, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exported)) {
      if (isDocument(value)) documents.push([`${file} ${name}`, value]);
      else if (name === 'PROVIDER_OPERATIONS') {
        for (const [provider, ops] of Object.entries(value as Record<string, { query: DocumentNode; save: DocumentNode }>)) {
          documents.push([`${file} ${provider} query`, ops.query], [`${file} ${provider} save`, ops.save]);
        }
      }
    }
  }

  it('are all found', () => {
    expect(documents.length).toBeGreaterThanOrEqual(18);
  });

  it.each(documents)('%s is valid against the server schema', (_name, document) => {
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
  });
});
