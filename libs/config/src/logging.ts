// Structured JSON logs (pino) with patient identifiers and tokens redacted wherever they appear.
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, ConfigModule } from './config.module.js';
import type { AppConfig } from './app-config.js';

/** Field names that hold patient data or secrets, redacted at any depth we log. */
export const REDACTED_FIELDS = [
  'nhsNumber',
  'nhs_number',
  'familyName',
  'family_name',
  'givenName',
  'given_name',
  'dateOfBirth',
  'date_of_birth',
  'address',
  'postcode',
  'phone',
  'email',
  'summary',
  'note',
  'text',
  'authorization',
  'token',
  'password',
  'cookie',
];

const paths = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', ...REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`])];

/** A request's id: the caller's X-Request-Id when it is safe to log and store, else a fresh UUID. */
export function newRequestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
}

/**
 * For a server that has not named the request. The API's has (Fastify's genReqId is newRequestId,
 * and the id reaches pino-http on the Node request, which then keeps it): one id for the log, the
 * audit trail and the answer's X-Request-Id (apps/api/src/bootstrap.ts).
 */
function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const id = newRequestId(req);
  res.setHeader('X-Request-Id', id);
  return id;
}

/** `destination`: where the JSON lines go instead of stdout (the e2e suites read them to prove nothing is logged at error level). */
export function loggingModule(service: 'api' | 'worker', destination?: DestinationStream) {
  return LoggerModule.forRootAsync({
    imports: [ConfigModule],
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => {
      const pinoHttp = {
        level: config.logLevel,
        base: { service },
        redact: { paths, censor: '[redacted]' },
        genReqId: requestIdOf,
        // Method, route and status only: never bodies, query strings, headers or a patient's offer link token.
        serializers: {
          req: (req: { id: string; method: string; url: string }) => ({
            id: req.id,
            method: req.method,
            path: String(req.url)
              .split('?')[0]
              .replace(/^\/offer\/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}/, '/offer/:token'),
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
        autoLogging: { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health') },
        customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
          res.statusCode === 503 ? 'warn' : err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      };
      return { pinoHttp: destination ? ([pinoHttp, destination] as [typeof pinoHttp, DestinationStream]) : pinoHttp };
    },
  });
}
