// What every FHIR route shares over HTTP: the media type, the X-Correlation-ID echo, the FHIR base URL.
import type { FastifyReply, FastifyRequest } from 'fastify';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** A correlation id a client may send is echoed as it came, when it is a plain token (nothing a header could be abused with). */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function echoCorrelationId(req: FastifyRequest, reply: FastifyReply): void {
  const given = req.headers['x-correlation-id'];
  if (typeof given === 'string' && CORRELATION_ID.test(given)) void reply.header('X-Correlation-ID', given);
}

/** The FHIR base URL, for Bundle entries' fullUrl: the API's public address (PUBLIC_BASE_URL) and /fhir/r4. */
export const fhirBase = (publicBaseUrl: string) => `${publicBaseUrl}/fhir/r4`;
