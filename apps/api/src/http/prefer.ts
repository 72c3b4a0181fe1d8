// `Prefer: return=minimal` (RFC 7240) on the referral command routes: the command's outcome (id, status, version) instead of the full view.
//
// The full view is one statement building JSON plus its shaping in Node: about a third of a command's
// cost (docs/benchmarks.md). An integration that only needs to know the step was taken asks for less,
// as FHIR servers allow; the default stays the full view, so the console and existing clients see no change.
import { applyDecorators, createParamDecorator, type ExecutionContext, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiOkResponse, ApiCreatedResponse, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ReferralStatus } from '#domain';
import { ReferralStateView } from '../dto/responses/referral.responses.js';

/** What a minimal answer carries; routes may add what a client needs next (a booking's id). */
export interface ReferralState {
  readonly id: string;
  readonly status: ReferralStatus;
  readonly version: number;
}

/**
 * True when a `Prefer` header asks for `return=minimal`. Preferences are comma-separated, a token
 * is case-insensitive and its value may be quoted (RFC 7240 section 2); anything else is ignored,
 * as the RFC asks of preferences a server does not understand.
 */
export function prefersMinimal(header: string | string[] | undefined): boolean {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return values.some((v) =>
    v.split(',').some((pref) => {
      const [token, ...rest] = pref.split(';')[0].split('=');
      const value = rest
        .join('=')
        .trim()
        .replace(/^"(.*)"$/, '$1');
      return token.trim().toLowerCase() === 'return' && value.toLowerCase() === 'minimal';
    }),
  );
}

/** How a command route answers: the full view, or (asked for) the referral's state only. */
export class CommandAnswer {
  readonly minimal: boolean;

  constructor(
    request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {
    this.minimal = prefersMinimal(request.headers.prefer);
  }

  /** The state (with `extra`) when minimal was asked for, otherwise `full()`; the view is never built for a minimal answer. */
  async referral<T, E extends object = object>(state: ReferralState, full: () => Promise<T>, extra?: E): Promise<T | (ReferralStateView & E)> {
    if (!this.minimal) return full();
    void this.reply.header('Preference-Applied', 'return=minimal');
    return { id: state.id, status: state.status, version: state.version, ...(extra as E) };
  }

  /**
   * As `referral`, for a command that made a booking (booking, reschedule): the full view carries that
   * booking as `booking`, the minimal answer its id as `bookingId`.
   */
  async booked<V extends { bookings: ReadonlyArray<{ id: string }> }>(
    id: string,
    out: { to: ReferralStatus; version: number; bookingId: string },
    view: () => Promise<V>,
  ): Promise<(V & { booking: V['bookings'][number] }) | (ReferralStateView & { bookingId: string })> {
    return this.referral(
      { id, status: out.to, version: out.version },
      async () => {
        const full = await view();
        return { ...full, booking: full.bookings.find((b) => b.id === out.bookingId)! };
      },
      { bookingId: out.bookingId },
    );
  }

  /** As `referral`, for a command whose outcome does not carry the state: it is read (one small statement) only for a minimal answer. */
  async referralRead<T, E extends object = object>(
    readState: () => Promise<ReferralState>,
    full: () => Promise<T>,
    extra?: E,
  ): Promise<T | (ReferralStateView & E)> {
    return this.minimal ? this.referral(await readState(), full, extra) : full();
  }
}

/** The route's `CommandAnswer` (from its request's `Prefer` header). */
export const Answer = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => new CommandAnswer(ctx.switchToHttp().getRequest<FastifyRequest>(), ctx.switchToHttp().getResponse<FastifyReply>()),
);

const PREFER_HEADER = ApiHeader({
  name: 'Prefer',
  required: false,
  description:
    "RFC 7240. `return=minimal`: answer with the referral's id, status and version only (and `Preference-Applied: return=minimal`), not the full view; anything else, or none, gets the full view",
});

/** OpenAPI for a command route: the `Prefer` header, and a success answer that is the full view or the minimal one. */
export function CommandResponse(status: 200 | 201, full: Type<unknown>, description: string, minimal: Type<unknown> = ReferralStateView) {
  const response = status === 201 ? ApiCreatedResponse : ApiOkResponse;
  return applyDecorators(
    ApiExtraModels(full, minimal),
    PREFER_HEADER,
    response({
      description: `${description}; with \`Prefer: return=minimal\`, the referral's id, status and version only`,
      schema: { anyOf: [{ $ref: getSchemaPath(full) }, { $ref: getSchemaPath(minimal) }] },
    }),
  );
}
