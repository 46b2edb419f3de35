import type { CodegenConfig } from '@graphql-codegen/cli';

// `pnpm codegen` step 2: types every operation of the admin SPA (its *.graphql files) against the
// server's schema and emits typed documents. An operation that no longer fits the schema fails
// here; a changed field type fails the admin's type check.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: '../admin/src/**/*.graphql',
  generates: {
    'src/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        scalars: { DateTimeISO: 'string', JSONObject: 'Record<string, unknown>' },
        strictScalars: true,
      },
    },
  },
  errorsOnly: true,
};
export default config;
