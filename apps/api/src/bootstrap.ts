// Builds the API application (used by main.ts and by the e2e tests alike).
import 'reflect-metadata';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import type { DestinationStream } from 'pino';
import { Logger } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig } from '#config';
import { TokenVerifier } from '#auth';
import { ApiModule } from './app.module.js';
import { bodyErrors, jsonBody, screenBody } from './http/body-parsing.js';
import { requestDeadlines } from './http/request-deadlines.js';
import { documentErrors } from './http/openapi-errors.js';
import { validationPipe } from './http/validation.js';
import { mountHttpMetrics, mountOperatorRoutes } from './operator/operator-routes.js';
import { mountConsoleQueues } from './console/queue-dashboard.js';
import { addressRateLimit } from './http/address-rate-limit.js';
import { REDIS, type RedisClient } from './redis.provider.js';

/** `logDestination` (tests): where the JSON log lines go instead of stdout. */
export async function createApiApp(opts: { logger?: boolean; logDestination?: DestinationStream } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.register({ logDestination: opts.logDestination }), {
    bodyParser: false,
    bufferLogs: opts.logger !== false,
    logger: opts.logger === false ? false : undefined,
    abortOnError: false,
  });
  if (opts.logger !== false) app.useLogger(app.get(Logger));
  const config = app.get<AppConfig>(APP_CONFIG);
  app.get(TokenVerifier).warmUp();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(helmet({ contentSecurityPolicy: false }));
  mountHttpMetrics(app);
  // Before everything that does work: a request refused for its address costs a Redis call.
  app.use(addressRateLimit({ config, redis: app.get<RedisClient>(REDIS), verifier: app.get(TokenVerifier) }));
  mountOperatorRoutes(app); // GET /metrics, /admin/queues
  mountConsoleQueues(app); // /console/queues: the same dashboard under the staff console's session
  setServerTimeouts(app.getHttpServer());
  app.use(requestDeadlines(config));
  app.use(jsonBody(config.http.bodyLimit));
  app.use(bodyErrors);
  app.use(screenBody);
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

/** Headers must arrive within this, on every route (Node's own default, set here on purpose). */
const HEADERS_TIMEOUT_MS = 60_000;
/** A kept-alive connection with no request for this long is closed (Node's default). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/**
 * Node's timeouts, each on purpose. requestTimeout, one limit for every route's whole request,
 * is off: bodies get deadlines per route instead (http/request-deadlines.ts), so a waiting-list
 * upload of the size WAITING_LIST_MAX_BYTES allows is not cut at Node's 300 s, and a JSON body
 * still has HTTP_REQUEST_TIMEOUT_MS. No socket idle timeout either: a response being computed
 * (an upload's last rows going into Postgres) is not the client's silence.
 */
function setServerTimeouts(server: Server): void {
  server.requestTimeout = 0;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.setTimeout(0);
}
