import 'reflect-metadata';
import { buildSchema } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { authChecker } from '../auth/graphql/auth-checker.js';
import { AuthResolver } from '../auth/graphql/auth.resolver.js';
import { BulkJobResolver } from '../bulk/graphql/bulk.resolver.js';
import { CreativeResolver } from '../creatives/graphql/creative.resolver.js';
import { OverviewResolver } from '../overview/graphql/overview.resolver.js';
import { LocationResolver } from '../storage/graphql/location.resolver.js';
import { PluginResolver } from '../storage/graphql/plugin.resolver.js';
import { StorageResolver } from '../storage/graphql/storage.resolver.js';
import { ServerInfoResolver } from '../system/server-info.resolver.js';

export const resolvers = [
  AuthResolver,
  ServerInfoResolver,
  StorageResolver,
  PluginResolver,
  LocationResolver,
  CreativeResolver,
  OverviewResolver,
  BulkJobResolver,
] as const;

export function buildGraphqlSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    authChecker,
    // Inputs are checked by the services, which name the field and the problem.
    validate: false,
    emitSchemaFile: false,
  });
}
