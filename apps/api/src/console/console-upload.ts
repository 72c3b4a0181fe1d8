// A file posted from a browser form (multipart/form-data), streamed: busboy reads the request's own
// stream (`req.raw ?? req`: Express gives the Node request, Fastify wraps it, and neither has read a
// multipart body), and the file's bytes go on to the caller as they arrive, never held whole.
//
// A browser sends the fields in the order of the page, so the form puts `_csrf` (and any choices)
// before its file: the token is checked when the file starts, and a form without it never has a
// byte of its file used.
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import busboy from 'busboy';
import { UploadRefusedError } from '#workflow';
import { bodyDeadline } from '../http/request-deadlines.js';
import { csrfMatches, formExpired } from './console-access.js';
import type { ConsoleRequest } from './console-request.js';
import type { ConsoleSession } from './console-session.js';

export interface UploadedFile {
  /** The file's bytes as they arrive. */
  readonly body: Readable;
  readonly filename: string;
  readonly mimeType: string;
  /** The form's fields sent before the file. */
  readonly fields: Readonly<Record<string, string>>;
}

/** A mistake in the form itself (no file chosen), shown at its field. */
export class UploadFormError extends Error {
  constructor(readonly errors: Array<{ field: string; text: string }>) {
    super('The form has mistakes');
  }
}

/** Whether a refusal leaves the rest of the body unread: the connection is closed rather than read to its end. */
export function dropsConnection(e: unknown): boolean {
  return e instanceof UploadRefusedError && (e.code === 'UPLOAD_TOO_LARGE' || e.code === 'UPLOAD_TOO_SLOW');
}

/** Small fields and one file: anything more is not our form. */
const LIMITS = { fields: 10, fieldSize: 1024, fieldNameSize: 100, files: 1, parts: 12 };

/**
 * Reads the form, hands the file named `fileField` to `use` once the fields before it are checked,
 * and settles when both `use` and the body are done. A refusal by `use` that leaves the rest unread
 * (too large, too slow) settles at once: answer it with `Connection: close` (dropsConnection).
 * Otherwise the rest of the body is read and discarded first, so the answer reaches the browser.
 */
export function receiveUpload<T>(
  req: ConsoleRequest,
  session: ConsoleSession,
  fileField: string,
  use: (file: UploadedFile) => Promise<T>,
  /** What the field's error says when no file was chosen. */
  missing = 'Select a CSV file to upload',
): Promise<T> {
  const raw = req.raw ?? (req as unknown as IncomingMessage);
  const type = String(req.headers['content-type'] ?? '');
  if (!/^multipart\/form-data\s*;/i.test(type)) return Promise.reject(new UploadFormError([{ field: fileField, text: missing }]));

  return new Promise<T>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let fileSeen = false;
    let bodyDone = false;
    let outcome: { ok: true; value: T } | { ok: false; error: Error } | null = null;
    let body: PassThrough | null = null;
    let settled = false;

    const deadline = bodyDeadline(req as never);
    const finish = () => {
      if (settled) return;
      settled = true;
      raw.off('close', interrupted);
      deadline?.release();
      if (outcome!.ok) resolve(outcome!.value);
      else reject(outcome!.error);
    };
    /** The first outcome stands; it is answered once the body is done, or at once when `now`. */
    const settle = (o: NonNullable<typeof outcome>, now = false) => {
      outcome ??= o;
      if (now) {
        raw.unpipe(bb);
        return finish();
      }
      if (bodyDone) finish();
    };
    const interrupted = () => {
      if (raw.complete) return;
      const error = new UploadRefusedError('UPLOAD_UNREADABLE', 'The upload was interrupted');
      body?.destroy(error);
      settle({ ok: false, error }, true);
    };
    let bb: ReturnType<typeof busboy>;
    try {
      bb = busboy({ headers: raw.headers, limits: LIMITS, defParamCharset: 'utf8' });
    } catch {
      // No boundary, or one busboy cannot use: nothing of it can be read.
      return reject(new UploadRefusedError('UPLOAD_UNREADABLE', 'The form could not be read: send it again from the page'));
    }
    // Too slow, or silent too long (request-deadlines.ts): the import's pipeline ends and rolls back; the answer is a 408 page.
    deadline?.claim((message) => {
      const error = new UploadRefusedError('UPLOAD_TOO_SLOW', message, [{ field: 'body', messages: [message] }]);
      body?.destroy(error);
      settle({ ok: false, error }, true);
    });
    bb.on('field', (name, value) => {
      if (!fileSeen) fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      if (fileSeen || name !== fileField) return stream.resume();
      fileSeen = true;
      if (!csrfMatches(fields._csrf, session)) {
        stream.resume();
        return settle({ ok: false, error: formExpired() });
      }
      if (!info.filename) {
        stream.resume();
        return settle({ ok: false, error: new UploadFormError([{ field: fileField, text: missing }]) });
      }
      const file = new PassThrough();
      body = file;
      stream.pipe(file);
      use({ body: file, filename: info.filename, mimeType: info.mimeType, fields: { ...fields } }).then(
        (value) => settle({ ok: true, value }),
        (e: unknown) => {
          const error = e instanceof Error ? e : new Error(String(e));
          // Refused part-way: stop feeding the import, and read the rest away (or leave it, for a refusal that closes the connection).
          stream.unpipe(file);
          stream.resume();
          settle({ ok: false, error }, dropsConnection(error));
        },
      );
    });
    bb.on('close', () => {
      bodyDone = true;
      if (!fileSeen) {
        settle({
          ok: false,
          error: csrfMatches(fields._csrf, session) ? new UploadFormError([{ field: fileField, text: missing }]) : formExpired(),
        });
      } else if (outcome) finish();
    });
    bb.on('error', () => {
      const error = new UploadRefusedError('UPLOAD_UNREADABLE', 'The form could not be read: send it again from the page');
      body?.destroy(error);
      bodyDone = true;
      settle({ ok: false, error }, true);
    });
    raw.once('close', interrupted);
    raw.pipe(bb);
  });
}
