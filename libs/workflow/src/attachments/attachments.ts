// Documents sent with a referral (referral letter, clinic letters, imaging reports): added by the
// referring trust, listed and opened by clinicians of the two trusts only. The type is judged from
// the bytes (file-type's magic numbers), never from the name or the Content-Type sent; anything but
// PDF, PNG or JPEG, and anything over ATTACHMENT_MAX_BYTES, is refused naming the field.
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { fileTypeFromBuffer } from 'file-type';
import { CLINICAL_TEXT_ROLES, actorOf, type Caller } from '#auth';
import { WorkflowError } from '#domain';
import { PrismaService, SqlParams } from '#persistence';
import { appendEvent } from '../referral-transition.js';
import { requireSide, visibleToSql } from '../referral-scope.js';
import { ReferralNotFoundError } from '../workflow-errors.js';
import { UploadRefusedError } from '../waiting-list/waiting-list-imports.js';
import { loadVisible } from '../referral/referral-step.js';
import { ATTACHMENT_STORE, type AttachmentStore } from './attachment-store.js';

export const ATTACHMENT_KINDS = ['referral_letter', 'clinic_letter', 'imaging_report'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];
export const ATTACHMENT_MEDIA_TYPES = ['application/pdf', 'image/png', 'image/jpeg'] as const;

/** Not a PDF, PNG or JPEG, by its bytes. */
export class AttachmentTypeError extends WorkflowError {
  readonly code = 'ATTACHMENT_TYPE' as const;
  override readonly details = [{ field: 'body', messages: [] as string[] }];
  constructor(message: string) {
    super(message);
    this.details[0].messages.push(message);
  }
}

export interface AttachmentRow {
  readonly id: string;
  readonly kind: string;
  readonly filename: string;
  readonly mediaType: string;
  readonly sizeBytes: number;
  readonly createdAt: Date | string;
}

export function attachmentView(a: AttachmentRow) {
  return { id: a.id, kind: a.kind, filename: a.filename, mediaType: a.mediaType, sizeBytes: a.sizeBytes, createdAt: new Date(a.createdAt).toISOString() };
}

/** A referral's attachments, oldest first, as a JSON array on the referral aliased `r` (descriptions only, never the bytes). */
export function attachmentsSql(): string {
  return `COALESCE((SELECT json_agg(json_build_object('id', a.id, 'kind', a.kind, 'filename', a.filename, 'mediaType', a.media_type,
    'sizeBytes', a.size_bytes, 'createdAt', a.created_at) ORDER BY a.created_at, a.id) FROM attachment a WHERE a.referral_id = r.id), '[]')`;
}

/** The bytes read before the type is judged: file-type's own sample size. */
const SNIFF_BYTES = 4100;

/** A file name as given, kept to what is safe to echo in a Content-Disposition header. */
export function safeFilename(name: string | undefined, mediaType: string): string {
  const ext = mediaType === 'application/pdf' ? 'pdf' : mediaType === 'image/png' ? 'png' : 'jpg';
  const base = (name ?? '')
    .replace(/^.*[\\/]/, '')
    .replace(/[^A-Za-z0-9 ._()-]/g, '_')
    .slice(0, 120)
    .trim();
  return base && !/^\.+$/.test(base) ? base : `attachment.${ext}`;
}

@Injectable()
export class Attachments {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(ATTACHMENT_STORE) private readonly store: AttachmentStore,
  ) {}

  /**
   * Reads `body` to its end or to `maxBytes` (refused past it: nothing is kept), judges its type
   * from its bytes, and keeps it with the referral: the row, the bytes and a timeline event naming
   * the kind (not the file) in one transaction.
   */
  async add(caller: Caller, id: string, input: { kind: AttachmentKind; filename?: string; body: Readable; maxBytes: number }) {
    // The caller may add to this referral before a byte is read.
    await this.prisma.sqlTransaction(async (tx) => requireSide(caller, await loadVisible(tx, caller, id), 'attachment.upload', 'add attachments'));
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of input.body) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      size += b.length;
      if (size > input.maxBytes) {
        throw new UploadRefusedError('UPLOAD_TOO_LARGE', `The file is larger than the ${input.maxBytes} bytes allowed (ATTACHMENT_MAX_BYTES)`, [
          { field: 'body', messages: [`body must be at most ${input.maxBytes} bytes`] },
        ]);
      }
      chunks.push(b);
    }
    const content = Buffer.concat(chunks, size);
    if (size === 0) throw new AttachmentTypeError('The file is empty: send a PDF, PNG or JPEG');
    const sniffed = await fileTypeFromBuffer(content.subarray(0, SNIFF_BYTES));
    const mediaType = sniffed?.mime;
    if (!mediaType || !(ATTACHMENT_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
      throw new AttachmentTypeError(
        `Only PDF, PNG or JPEG files can be attached; this file is ${sniffed ? `${sniffed.mime} (.${sniffed.ext})` : 'of a type not recognised'}`,
      );
    }
    const attachmentId = randomUUID();
    const filename = safeFilename(input.filename, mediaType);
    const sha256 = createHash('sha256').update(content).digest('hex');
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'attachment.upload', 'add attachments');
      const { rows } = await tx.query<{ created_at: Date }>(
        `INSERT INTO attachment (id, referral_id, kind, filename, media_type, size_bytes, sha256, uploaded_by_sub, uploaded_by_ods)
         VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9) RETURNING created_at`,
        [attachmentId, id, input.kind, filename, mediaType, size, sha256, caller.sub, caller.ods],
      );
      await this.store.put(tx, attachmentId, content);
      await appendEvent(tx, id, ref.status, 'attachment_added', actorOf(caller), { attachmentId, kind: input.kind });
      return attachmentView({ id: attachmentId, kind: input.kind, filename, mediaType, sizeBytes: size, createdAt: rows[0].created_at });
    });
  }

  /** The referral's attachments, for clinicians of a party trust; to anyone else the referral is not there. */
  async list(caller: Caller, id: string) {
    await this.requireClinicianOfParty(caller, id);
    const { rows } = await this.prisma.sql.query<{ v: AttachmentRow[] }>(`SELECT ${attachmentsSql()} AS v FROM referral r WHERE r.id = $1::uuid`, [id]);
    return { items: (rows[0]?.v ?? []).map(attachmentView) };
  }

  /** One attachment with its bytes (the route audits the download). */
  async open(caller: Caller, id: string, attachmentId: string) {
    await this.requireClinicianOfParty(caller, id);
    const { rows } = await this.prisma.sql.query<AttachmentRow>(
      `SELECT id::text AS id, kind, filename, media_type AS "mediaType", size_bytes AS "sizeBytes", created_at AS "createdAt"
       FROM attachment WHERE id = $1::uuid AND referral_id = $2::uuid`,
      [attachmentId, id],
    );
    const a = rows[0];
    const content = a ? await this.store.get(a.id) : null;
    if (!a || !content) throw new ReferralNotFoundError('Attachment');
    return { ...attachmentView(a), content };
  }

  private async requireClinicianOfParty(caller: Caller, id: string): Promise<void> {
    if (!CLINICAL_TEXT_ROLES.has(caller.role)) throw new ReferralNotFoundError();
    const p = new SqlParams();
    const { rows } = await this.prisma.sql.query(`SELECT 1 FROM referral r WHERE r.id = ${p.add(id)}::uuid AND ${visibleToSql(caller, p)}`, p.values);
    if (rows.length === 0) throw new ReferralNotFoundError();
  }
}
