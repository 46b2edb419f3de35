import { buildSchema } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { ServerInfoResolver } from '../system/server-info.resolver.js';

export const resolvers = [ServerInfoResolver] as const;

export function buildGraphqlSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    validate: { forbidUnknownValues: false },
    emitSchemaFile: false,
  });
}
