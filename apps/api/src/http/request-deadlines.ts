// How long a request's body may take to arrive, route by route, in place of Node's one server-wide
// requestTimeout (off: bootstrap.ts). Every body but a waiting-list upload must arrive within
// HTTP_REQUEST_TIMEOUT_MS; an upload within WAITING_LIST_UPLOAD_TIMEOUT_MS, and must not send
// nothing for WAITING_LIST_IDLE_TIMEOUT_MS while the server is ready to read. Past a deadline: 408.
//
// Why per route: Node's requestTimeout (300 s by default) cut uploads the byte limit allows, and one
// long enough for a 500 MB upload would let any JSON request dribble its 100 kB for an hour.
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '#config';
import { errorBody } from './http-errors.filter.js';

/** The waiting-list uploads (the API's and the staff console's) and the postcode load: the routes whose body is a file, streamed into Postgres. */
const UPLOAD_ROUTE = { method: 'POST', paths: ['/v1/waiting-list/imports', '/console/waiting-list', '/v1/postcodes/loads'] as readonly string[] } as const;

/** A deadline's word to the handler reading the body, or to the client when no handler has claimed it. */
export type Expired = (message: string) => void;

/** Watches one request's body until it has all arrived (or the connection closes). */
export class BodyDeadline {
  private total: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  private lastBytes = -1;
  private quietSince = Date.now();
  private onExpire: Expired;
  private readonly answer: Expired;
  private stopped = false;
  private readonly stopOnClose = () => this.stop();

  constructor(
    private readonly req: IncomingMessage,
    reply: FastifyReply,
    totalMs: number,
    totalMessage: string,
    private readonly idleMs: number | null,
    private readonly idleMessage: string,
  ) {
    this.answer = (message) => answer408(req, reply, message);
    this.onExpire = this.answer;
    this.total = setTimeout(() => this.expire(totalMessage), totalMs);
    if (idleMs !== null) this.idle = setTimeout(() => this.checkIdle(), tick(idleMs));
    req.once('end', this.stopOnClose);
    // A kept-alive socket serves many requests: the listener goes with the deadline (stop).
    req.socket.once('close', this.stopOnClose);
  }

  /** The handler reading the body takes over what a deadline does (ends its pipeline with the message). */
  claim(onExpire: Expired): void {
    this.onExpire = onExpire;
  }

  /** The handler is done (the rest of a refused body is being discarded): a deadline answers, or drops the connection, itself again. */
  release(): void {
    this.onExpire = this.answer;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.total);
    clearTimeout(this.idle);
    this.req.off('end', this.stopOnClose);
    this.req.socket.off('close', this.stopOnClose);
  }

  /**
   * Idle is the client's silence only: bytes read off the socket move the clock on, and so does
   * any time the body is not flowing (not yet read, or paused because Postgres is slower than the
   * client: backpressure is the server's doing). Polled, not a 'data' listener, which would start
   * the body flowing before its handler reads it.
   */
  private checkIdle(): void {
    if (this.stopped) return;
    const bytes = this.req.socket.bytesRead;
    const now = Date.now();
    if (bytes !== this.lastBytes || this.req.readableFlowing !== true) {
      this.lastBytes = bytes;
      this.quietSince = now;
    } else if (now - this.quietSince >= this.idleMs!) {
      return this.expire(this.idleMessage);
    }
    this.idle = setTimeout(() => this.checkIdle(), tick(this.idleMs!));
  }

  private expire(message: string): void {
    if (this.stopped) return;
    this.stop();
    this.onExpire(message);
  }
}

/** A quarter of the idle limit, at most a second: the limit is kept to within that much. */
const tick = (idleMs: number) => Math.max(10, Math.min(1_000, Math.floor(idleMs / 4)));

const deadlines = new WeakMap<IncomingMessage, BodyDeadline>();

/** The deadline watching this request's body, if it has one (a waiting-list upload always has). */
export function bodyDeadline(req: FastifyRequest): BodyDeadline | undefined {
  return deadlines.get(req.raw);
}

/**
 * Nobody has claimed the body: answer 408 ourselves (or, once an answer has gone, drop the
 * connection). Closing the connection ends Fastify's reading of the body too; what it says then
 * finds the reply sent and goes nowhere.
 */
function answer408(req: IncomingMessage, reply: FastifyReply, message: string): void {
  if (reply.sent || reply.raw.headersSent) {
    req.socket.destroy();
    return;
  }
  void reply
    .code(408)
    .header('Connection', 'close')
    .send(errorBody(408, message, [{ field: 'body', messages: [message] }]));
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** A Fastify onRequest hook (before any body is read): a deadline for every request with a body still to arrive. */
export function requestDeadlines(config: AppConfig) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const req = request.raw;
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody || req.complete) return done();
    // Matched as the router matches (any case, a trailing slash allowed: bootstrap.ts).
    const upload = req.method === UPLOAD_ROUTE.method && UPLOAD_ROUTE.paths.includes(request.url.split('?')[0].toLowerCase().replace(/\/+$/, ''));
    const deadline = upload
      ? new BodyDeadline(
          req,
          reply,
          config.waitingList.uploadTimeoutMs,
          `The upload took longer than the ${seconds(config.waitingList.uploadTimeoutMs)} allowed (WAITING_LIST_UPLOAD_TIMEOUT_MS), so it was ended and nothing of it was kept: send the file again over a faster connection`,
          config.waitingList.idleTimeoutMs,
          `No data arrived for ${seconds(config.waitingList.idleTimeoutMs)} (WAITING_LIST_IDLE_TIMEOUT_MS), so the upload was ended and nothing of it was kept: send the file again`,
        )
      : new BodyDeadline(
          req,
          reply,
          config.http.requestTimeoutMs,
          `The request body did not arrive within ${seconds(config.http.requestTimeoutMs)} (HTTP_REQUEST_TIMEOUT_MS): send the request again`,
          null,
          '',
        );
    deadlines.set(req, deadline);
    done();
  };
}
