// The mailbox of `npm start` and the tests: messages are files under MESH_LOCAL_DIR, and the
// recipient (no one runs it locally) acknowledges each one at once, so a dispatch runs its whole
// lifecycle (queued, sent, acknowledged) with nothing external.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MailboxError, type InboxMessage, type Mailbox, type OutgoingMessage, type Tracking } from './mailbox.js';
import { acknowledgementBody, ACK_SUFFIX } from './acknowledgements.js';

interface Stored {
  readonly messageId: string;
  readonly from: string;
  readonly to: string;
  readonly workflowId: string;
  readonly localId: string | null;
  readonly subject: string | null;
  readonly contentType: string;
  readonly fileName: string;
  readonly at: string;
  status: 'accepted' | 'acknowledged';
  /** A small body (an acknowledgement) kept in the description itself, base64: no `.dat` beside it. */
  readonly body?: string;
}

let lastMs = 0;
let seq = 0;

/**
 * A message id in MESH's own form (`20261204162312238001_3F9A0C`: the time to the millisecond, a
 * sequence within it, then six random hex digits), so a folder lists oldest first. Never the same
 * twice in a process: the time and sequence only go forward (more than 1,000 in one millisecond
 * borrow the next one). Ids had been the time to the second and six random hex digits: at the
 * benchmark's hundred acknowledgements a second two of them sometimes got the same id, the second
 * file replaced the first in the inbox, and that message waited for its acknowledgement for ever
 * (docs/benchmarks.md, 2026-12-04). The random part keeps two worker processes apart.
 */
export function newMessageId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    seq = 0;
  } else if (++seq > 999) {
    lastMs += 1;
    seq = 0;
  }
  const stamp = new Date(lastMs).toISOString().replace(/\D/g, '').slice(0, 17);
  return `${stamp}${String(seq).padStart(3, '0')}_${randomBytes(3).toString('hex').toUpperCase()}`;
}
const SAFE = /^[A-Za-z0-9_-]{1,40}$/;

export class LocalFolderMailbox implements Mailbox {
  readonly kind = 'local' as const;

  /** Folders made by this process: made once, not at every message (a folder removed meanwhile is made again). */
  private readonly folders = new Set<string>();

  /**
   * `<dir>/<mailbox>/in/<id>.json` (what MESH would say of it) beside `<id>.dat` (its bytes; an
   * acknowledgement's few bytes are kept in the description instead); `out/` keeps what we sent, for tracking.
   */
  constructor(
    private readonly dir: string,
    private readonly mailboxId: string,
  ) {}

  async send(m: OutgoingMessage): Promise<string> {
    if (!SAFE.test(m.to)) throw new MailboxError(`not a mailbox id: ${m.to}`, false, 417);
    const messageId = newMessageId();
    const meta: Stored = {
      messageId,
      from: this.mailboxId,
      to: m.to,
      workflowId: m.workflowId,
      localId: m.localId,
      subject: m.subject,
      contentType: m.contentType,
      fileName: m.fileName,
      at: new Date().toISOString(),
      status: 'acknowledged',
    };
    await this.put(m.to, 'in', meta, m.body);
    // What we sent, for tracking: its description only, written in place (tracking reads it only
    // once the send is recorded, after this returns).
    await this.put(this.mailboxId, 'out', meta, null, false);
    // The recipient's business acknowledgement, at once.
    const ack: Stored = {
      messageId: newMessageId(),
      from: m.to,
      to: this.mailboxId,
      workflowId: `${m.workflowId}${ACK_SUFFIX}`,
      localId: null,
      subject: 'Acknowledgement',
      contentType: 'application/json',
      fileName: 'ack.json',
      at: new Date().toISOString(),
      status: 'accepted',
      body: acknowledgementBody({ messageId, localId: m.localId, outcome: 'accepted' }).toString('base64'),
    };
    await this.put(this.mailboxId, 'in', ack, null);
    return messageId;
  }

  async inbox(): Promise<string[]> {
    const folder = path.join(this.dir, this.mailboxId, 'in');
    const names = await readdir(folder).catch(() => [] as string[]);
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -5))
      .sort();
  }

  async download(messageId: string): Promise<InboxMessage> {
    const meta = await this.meta(this.mailboxId, 'in', messageId);
    const body = meta.body !== undefined ? Buffer.from(meta.body, 'base64') : await readFile(path.join(this.dir, this.mailboxId, 'in', `${messageId}.dat`));
    return {
      messageId,
      from: meta.from,
      workflowId: meta.workflowId,
      localId: meta.localId,
      messageType: 'DATA',
      linkedMessageId: null,
      statusSuccess: null,
      contentType: meta.contentType,
      body,
    };
  }

  async acknowledge(messageId: string): Promise<void> {
    const meta = await this.meta(this.mailboxId, 'in', messageId);
    const done = path.join(this.dir, this.mailboxId, 'read');
    for (const ext of meta.body !== undefined ? ['json'] : ['json', 'dat'])
      await this.inFolder(done, () => rename(path.join(this.dir, this.mailboxId, 'in', `${messageId}.${ext}`), path.join(done, `${messageId}.${ext}`)));
  }

  async tracking(messageId: string): Promise<Tracking | null> {
    const meta = await this.meta(this.mailboxId, 'out', messageId).catch(() => null);
    return meta ? { messageId, status: meta.status, statusSuccess: true, description: null } : null;
  }

  /**
   * Writes a message: its bytes (`body`, unless none or kept in `meta`), then its description. A
   * description another reader may list is written beside and renamed into place (`atomic`), so no
   * reader finds half of one.
   */
  private async put(mailbox: string, box: 'in' | 'out', meta: Stored, body: Buffer | null, atomic = true): Promise<void> {
    const folder = path.join(this.dir, mailbox, box);
    const file = path.join(folder, `${meta.messageId}.json`);
    if (body) await this.inFolder(folder, () => writeFile(path.join(folder, `${meta.messageId}.dat`), body));
    await this.inFolder(folder, () => writeFile(atomic ? `${file}.tmp` : file, JSON.stringify(meta)));
    if (atomic) await rename(`${file}.tmp`, file);
  }

  /** Runs `write` into `folder`, making the folder first if this process has not (or it has gone since). */
  private async inFolder<T>(folder: string, write: () => Promise<T>): Promise<T> {
    if (this.folders.has(folder)) {
      try {
        return await write();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        this.folders.delete(folder);
      }
    }
    await mkdir(folder, { recursive: true });
    this.folders.add(folder);
    return write();
  }

  private async meta(mailbox: string, box: 'in' | 'out', messageId: string): Promise<Stored> {
    if (!SAFE.test(messageId)) throw new MailboxError(`no message ${messageId}`, false, 404);
    try {
      return JSON.parse(await readFile(path.join(this.dir, mailbox, box, `${messageId}.json`), 'utf8')) as Stored;
    } catch {
      throw new MailboxError(`no message ${messageId}`, false, 404);
    }
  }
}
