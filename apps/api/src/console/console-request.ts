// What the console reads of a request and writes to a response, in terms both HTTP adapters give
// (headers, status, a sent body), and the form of a POST (parsed by the platform, or read here).
import type { IncomingMessage } from 'node:http';
import type { Caller, Permission } from '#auth';
import { oneLineBreak } from '../http/body-parsing.js';
import type { ConsoleSession } from './console-session.js';

export interface ConsoleRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  raw?: IncomingMessage;
  caller?: Caller;
  permission?: Permission;
  consoleSession?: ConsoleSession;
}

export interface ConsoleResponse {
  status(code: number): unknown;
  header(name: string, value: string | string[]): unknown;
}

/**
 * Forms are small, but for one field: the referral letter, up to 20,000 characters. Percent-encoded,
 * a character takes up to 9 bytes (3 of UTF-8, each as %XX), so a whole letter of any language fits
 * with room for the other fields; anything larger is not a form of ours.
 */
const FORM_LIMIT_BYTES = 256 * 1024;

export class FormTooLargeError extends Error {}

/** The posted form's fields (the last value of a repeated one), line breaks as LF. */
export async function readForm(req: ConsoleRequest): Promise<Record<string, string>> {
  if (req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) {
    return Object.fromEntries(
      Object.entries(req.body as Record<string, unknown>).map(([k, v]) => [k, oneLineBreak(Array.isArray(v) ? String(v.at(-1)) : String(v))]),
    );
  }
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('application/x-www-form-urlencoded')) return {};
  const stream = req.raw ?? (req as unknown as IncomingMessage);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT_BYTES) throw new FormTooLargeError();
    chunks.push(chunk);
  }
  const form = Object.fromEntries([...new URLSearchParams(Buffer.concat(chunks).toString('utf8'))].map(([k, v]) => [k, oneLineBreak(v)]));
  req.body = form;
  return form;
}
