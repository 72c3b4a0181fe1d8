// Builds the API application (used by main.ts and by the e2e tests alike), on Fastify.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from '@fastify/helmet';
import type { DestinationStream } from 'pino';
import { Logger } from 'nestjs-pino';
import { APP_CONFIG, newRequestId, type AppConfig } from '#config';
import { TokenVerifier } from '#auth';
import { ApiModule } from './app.module.js';
import { registerBodyParsers } from './http/body-parsing.js';
import { requestDeadlines } from './http/request-deadlines.js';
import { documentErrors } from './http/openapi-errors.js';
import { validationPipe } from './http/validation.js';
import { mountHttpMetrics, mountOperatorRoutes } from './operator/operator-routes.js';
import { mountConsoleQueues } from './console/queue-dashboard.js';
import { ConsoleSessions } from './console/console-session.js';
import { addressRateLimit } from './http/address-rate-limit.js';
import { REDIS, type RedisClient } from './redis.provider.js';

/** Headers must arrive within this, on every route (Node's own default, set here on purpose). */
const HEADERS_TIMEOUT_MS = 60_000;
/** A kept-alive connection with no request for this long is closed (Node's default; Fastify's own is 72 s). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/**
 * The HTTP platform. Routing as it was on Express: any case, a trailing slash allowed, and route
 * parameters as long as the URL (Fastify's default of 100 characters would answer 414 where a bad
 * id is a 400 naming it). Request ids: the caller's X-Request-Id when safe, else a UUID; the log,
 * the audit trail and the answer's X-Request-Id all carry this one (libs/config/src/logging.ts).
 *
 * Node's timeouts, each on purpose. requestTimeout, one limit for every route's whole request,
 * is off: bodies get deadlines per route instead (http/request-deadlines.ts), so a waiting-list
 * upload of the size WAITING_LIST_MAX_BYTES allows is not cut at Node's 300 s, and a JSON body
 * still has HTTP_REQUEST_TIMEOUT_MS. No socket idle timeout either (connectionTimeout 0): a
 * response being computed (an upload's last rows going into Postgres) is not the client's silence.
 */
function httpPlatform(): FastifyAdapter {
  return new FastifyAdapter({
    genReqId: newRequestId,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 8_192 },
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    http: { headersTimeout: HEADERS_TIMEOUT_MS },
  });
}

/** `logDestination` (tests): where the JSON log lines go instead of stdout. */
export async function createApiApp(opts: { logger?: boolean; logDestination?: DestinationStream } = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.register({ logDestination: opts.logDestination }), httpPlatform(), {
    bodyParser: false,
    bufferLogs: opts.logger !== false,
    logger: opts.logger === false ? false : undefined,
    abortOnError: false,
  });
  if (opts.logger !== false) app.useLogger(app.get(Logger));
  const config = app.get<AppConfig>(APP_CONFIG);
  const fastify = app.getHttpAdapter().getInstance();
  app.get(TokenVerifier).warmUp();
  // Hooks run in the order added, all before the body is read; each answer from one ends the request.
  // The id on the Node response, which Fastify merges into every answer it sends, errors and 404s included.
  fastify.addHook('onRequest', (req, reply, done) => {
    reply.raw.setHeader('X-Request-Id', req.id);
    done();
  });
  await app.register(helmet, { contentSecurityPolicy: false });
  mountHttpMetrics(app);
  // Before everything that does work: a request refused for its address costs a Redis call.
  const sessions = app.get(ConsoleSessions);
  fastify.addHook(
    'onRequest',
    addressRateLimit({
      config,
      redis: app.get<RedisClient>(REDIS),
      verifier: app.get(TokenVerifier),
      consoleSession: async (req) => (await sessions.openFor(req, req.headers.cookie)) !== null,
    }),
  );
  mountOperatorRoutes(app); // GET /metrics, /admin/queues
  mountConsoleQueues(app); // /console/queues: the same dashboard under the staff console's session
  fastify.addHook('onRequest', requestDeadlines(config));
  registerBodyParsers(fastify, config.http.bodyLimit);
  app.useGlobalPipes(validationPipe());
  app.enableShutdownHooks();

  const doc = new DocumentBuilder()
    .setTitle('crosstrust')
    .setDescription('Cross-trust patient transfer workflow for NHS trusts working as a group. Every route but health and docs needs a bearer token.')
    .setVersion('1')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    // Relative: the API itself, wherever it is deployed, so the document is the same everywhere.
    .addServer('/', 'This API (the host serving this document)')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => documentErrors(SwaggerModule.createDocument(app, doc)), { jsonDocumentUrl: 'docs-json' });
  return app;
}
