// Where an attachment's bytes live, behind one interface: Postgres (bytea, in the referral's own
// transaction) is the local default; a blob store (S3, Azure Blob) would implement the same two
// calls and be bound in its place (ATTACHMENT_STORE in workflow.module.ts).
import { Injectable } from '@nestjs/common';
import { PrismaService, type SqlRunner } from '#persistence';

export const ATTACHMENT_STORE = Symbol('ATTACHMENT_STORE');

export interface AttachmentStore {
  /**
   * Keeps the bytes of attachment `id`, in the transaction that records the attachment (`tx`), so a
   * refused or failed upload leaves nothing. A blob store would write the object first and let its
   * lifecycle rules remove an object no committed row names.
   */
  put(tx: SqlRunner, id: string, content: Buffer): Promise<void>;
  /** The bytes of attachment `id`; null when there are none. */
  get(id: string): Promise<Buffer | null>;
}

/** The bytes in `attachment_content`, one row per attachment (bytea, TOASTed and compressed by Postgres). */
@Injectable()
export class PostgresAttachmentStore implements AttachmentStore {
  constructor(private readonly prisma: PrismaService) {}

  async put(tx: SqlRunner, id: string, content: Buffer): Promise<void> {
    await tx.query('INSERT INTO attachment_content (attachment_id, content) VALUES ($1::uuid, $2)', [id, content]);
  }

  async get(id: string): Promise<Buffer | null> {
    const { rows } = await this.prisma.sql.query<{ content: Buffer }>('SELECT content FROM attachment_content WHERE attachment_id = $1::uuid', [id]);
    return rows[0]?.content ?? null;
  }
}
