// How every page of a patient's link answers (the offer, the appointment and the opt-in pages): the same
// headers (never cached, never indexed, no referrer, our CSP), the same POST-redirect-GET, and the same
// "problem with the service" page for a failure, logged without patient data.
import type { Logger } from '@nestjs/common';
import type { FastifyReply as Response } from 'fastify';

/** No script at all; styles, images and fonts from us; forms post only to us. */
export const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function patientPageHeaders(res: Response): void {
  void res.headers({
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': CSP,
    'X-Robots-Tag': 'noindex, nofollow',
  });
}

export function sendPatientPage(res: Response, status: number, body: string): void {
  patientPageHeaders(res);
  void res.status(status).type('text/html; charset=utf-8').send(body);
}

export function redirectPatient(res: Response, to: string): void {
  patientPageHeaders(res);
  void res.redirect(to, 303);
}

/**
 * Runs a page. A client's mistake the page did not catch itself (a body too large, a 4xx from below)
 * shows `problem(400)`; anything else is logged (its type and message, never a patient's data) and
 * shows `problem(500)`, unless the page already answered.
 */
export async function runPatientPage(
  res: Response,
  logger: Logger,
  what: string,
  fn: () => Promise<void>,
  problem: (status: 400 | 500) => void,
): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const err = e as { type?: string; status?: number; name?: string; message?: string };
    if (err.type === 'entity.too.large' || (err.status && err.status >= 400 && err.status < 500)) return problem(400);
    logger.error({ err: { type: err.name, message: String(err.message ?? '').slice(0, 200) } }, `${what} failed`);
    if (!res.sent) problem(500);
  }
}
