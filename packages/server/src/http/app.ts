import { randomUUID } from 'node:crypto';
import path from 'node:path';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import { ApolloServer } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { Runtime } from '../app/composition.js';
import { adminBuilt } from '../config/config.js';
import type { Context } from '../graphql/context.js';
import { formatError, toGraphQLError } from './graphql-errors.js';
import { buildGraphqlSchema } from './graphql-schema.js';
import { resolveActor } from '../auth/resolve-actor.js';
import { creativeRoutes } from './creative-routes.js';
import { healthHandler } from './health.js';
import { insideResults } from './inside-results.js';
import { metricsRoute } from './metrics-route.js';

export interface App {
  express: Express;
  stop(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export async function createApp(runtime: Runtime): Promise<App> {
  const { config, orm, logger, metrics, rateLimits } = runtime;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );

  app.get('/healthz', healthHandler(orm));
  app.use(metricsRoute(config, metrics));
  app.use(creativeRoutes(runtime));

  // Local results: ETag, Last-Modified and Range (206) come from serve-static, once the
  // path is known to stay inside the results folder with symlinks resolved.
  app.use(
    '/results',
    insideResults(runtime.results),
    express.static(config.resultsDir, { index: false, dotfiles: 'deny', fallthrough: false, immutable: true, maxAge: '365d' }),
  );

  // Depth, cost, alias, directive and token limits; no batched requests; no field suggestions
  // when introspection is off (they would leak the schema anyway).
  const armor = new ApolloArmor({
    maxDepth: { n: 8, ignoreIntrospection: true },
    // Generous enough for a full page of 500 creatives with every field; depth, aliases and
    // first ≤ 500 bound the rest.
    costLimit: { maxCost: 50_000, ignoreIntrospection: true },
    maxAliases: { n: 15 },
    maxDirectives: { n: 20 },
    // Token limits go through graphql-js's parser below: armor's rejects with a 500 there.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: !config.introspection },
  }).protect();
  const apollo = new ApolloServer<Context>({
    schema: await buildGraphqlSchema(),
    introspection: config.introspection,
    csrfPrevention: true,
    formatError: formatError(logger),
    ...armor,
    parseOptions: { maxTokens: 2000 },
    // No cache-control hints are used: skip the plugin's per-field work (500 creatives × their fields).
    plugins: [...armor.plugins, ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
    // The process's shutdown (onShutdown) stops Apollo in its turn; Apollo's own signal handler would race it.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<Context> => {
        const scope = runtime.scope();
        return {
          ...scope,
          requestId: String(req.id),
          config,
          logger: req.log,
          actor: await resolveActor(scope.auth, req).catch((error: unknown) => Promise.reject(toGraphQLError(error))),
          req,
          res,
          requestIp: req.ip ?? 'unknown',
          rateLimits,
          drivers: runtime.drivers,
        };
      },
    }),
  );

  if (adminBuilt(config)) {
    const dist = config.adminDistDir;
    app.use('/app/admin', express.static(dist, { index: false, maxAge: '1h' }));
    // Client-side routes: every unknown path under /app/admin is the SPA's.
    app.get(['/app/admin', '/app/admin/{*route}'], (_req, res) => res.sendFile(path.join(dist, 'index.html')));
    if (config.playground) app.get('/playground', (_req, res) => res.sendFile(path.join(dist, 'playground.html')));
  } else {
    app.get(config.playground ? ['/app/admin', '/app/admin/{*route}', '/playground'] : ['/app/admin', '/app/admin/{*route}'], (_req, res) => {
      res.status(503).type('text/plain').send('The admin SPA is not built yet: run `pnpm build` (or start with `pnpm start`).');
    });
  }
  app.get('/', (_req, res) => res.redirect('/app/admin'));

  return { express: app, stop: () => apollo.stop() };
}
