// The dispatch lifecycle over the Mailbox: send what is due (retrying with backoff, a task for the
// sending team after MESH_SEND_ATTEMPTS failures, FAILED when MESH refuses the message itself),
// read the inbox for business acknowledgements and MESH's reports, track sent messages to DELIVERED,
// and raise a task for each one not acknowledged in time. Every step is safe to repeat.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { PrismaService, SqlParams, type SqlRunner } from '#persistence';
import { SYSTEM_ACTOR } from '#auth';
import { eventAtStatusSql, type Tx } from '../referral-transition.js';
import { raiseTask } from '../tasks.js';
import { MAILBOX, MailboxError, type Mailbox } from './mailbox.js';
import { ACK_SUFFIX, parseAcknowledgement } from './acknowledgements.js';
import { DISPATCH_ROUTES, renderDispatch, type DispatchKind } from './documents.js';
import { claimDueDispatches, findDispatch, mailboxFor, sentNotDelivered, unacknowledged, type DueDispatch, type WaitingDispatch } from './dispatches.js';

const BATCH = 50;

/**
 * Runs `fn` over `items`, at most `limit` at a time; items with the same `key` run one after
 * another, in their order. Waits for every one, then throws the first error any threw. (A MESH
 * request waits on the network, or here on the disk: sent one at a time, a pass sends no faster
 * than one request's round trip allows, and a busy worker's sender fell ten seconds behind.)
 */
async function inLanes<T>(items: readonly T[], key: (t: T) => string, limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  const groups = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const g = groups.get(k);
    if (g) g.push(t);
    else groups.set(k, [t]);
  }
  const queue = [...groups.values()];
  let next = 0;
  const lane = async () => {
    while (next < queue.length) for (const t of queue[next++]) await fn(t);
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, queue.length) }, lane));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The timeline events the transfer data set and the discharge summary have always had, and the detail's key for the recipient. */
const EVENTS: Partial<Record<DispatchKind, { sent: string; acknowledged: string; recipientKey: string }>> = {
  TRANSFER: { sent: 'transfer_dispatched', acknowledged: 'transfer_acknowledged', recipientKey: 'recipientOds' },
  DISCHARGE_SUMMARY: { sent: 'discharge_summary_sent', acknowledged: 'discharge_summary_acknowledged', recipientKey: 'gpPracticeOds' },
};
const eventDetail = (kind: DispatchKind, d: { recipientOds: string }): Record<string, unknown> => ({ [EVENTS[kind]!.recipientKey]: d.recipientOds });

/** SQL: the acknowledged event's type of the dispatch `alias` (null for a kind without one), and its detail. */
function acknowledgedEventSql(alias: string): { type: string; detail: string; where: string } {
  const kinds = Object.entries(EVENTS) as Array<[DispatchKind, NonNullable<(typeof EVENTS)[DispatchKind]>]>;
  return {
    type: `CASE ${alias}.kind ${kinds.map(([k, e]) => `WHEN '${k}' THEN '${e.acknowledged}'`).join(' ')} END`,
    detail: `jsonb_build_object(CASE ${alias}.kind ${kinds.map(([k, e]) => `WHEN '${k}' THEN '${e.recipientKey}'`).join(' ')} END, ${alias}.recipient_ods)`,
    where: `${alias}.kind IN (${kinds.map(([k]) => `'${k}'`).join(', ')})`,
  };
}

@Injectable()
export class MeshExchange {
  private readonly logger = new Logger('MeshExchange');

  constructor(
    private readonly prisma: PrismaService,
    @Inject(MAILBOX) private readonly mailbox: Mailbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Sends every due dispatch, a batch at a time; answers how many went and how many must wait. */
  async sendDue(): Promise<{ sent: number; waiting: number; failed: number }> {
    const out = { sent: 0, waiting: 0, failed: 0 };
    const lease = this.config.mesh.timeoutMs * 4 + 10_000;
    // Mailboxes looked up once a pass, not once a message.
    const mailboxes = new Map<string, Promise<string | null>>();
    const mailboxOf = (ods: string, service: 'PAS' | 'GP') => {
      const key = `${service} ${ods}`;
      if (!mailboxes.has(key)) mailboxes.set(key, mailboxFor(this.prisma.sql, ods, service));
      return mailboxes.get(key)!;
    };
    for (;;) {
      const due = await claimDueDispatches(this.prisma.sql, BATCH, lease);
      // A referral's messages in the order they were claimed (oldest due first); referrals side by side.
      await inLanes(
        due,
        (d) => d.referralId,
        this.config.mesh.concurrency,
        async (d) => {
          out[await this.sendOne(d, mailboxOf)]++;
        },
      );
      if (due.length < BATCH) return out;
    }
  }

  private async sendOne(d: DueDispatch, mailboxOf: (ods: string, service: 'PAS' | 'GP') => Promise<string | null>): Promise<'sent' | 'waiting' | 'failed'> {
    const route = DISPATCH_ROUTES[d.kind];
    const to = await mailboxOf(d.recipientOds, route.service);
    if (!to) return this.fail(d, 'no_mailbox', `no ${route.service} MESH mailbox is recorded for ${d.recipientOds}`);
    try {
      const doc = await renderDispatch(d.kind, d.id, d.payload);
      const messageId = await this.mailbox.send({ to, workflowId: route.workflowId, subject: route.subject, localId: d.id, ...doc });
      // Sent, and its timeline event, in one statement: no event unless this marked it sent.
      const p = new SqlParams();
      const update = `UPDATE dispatch SET status = 'SENT', message_id = ${p.add(messageId)}, sent_at = now(), recipient_mailbox = ${p.add(to)}, workflow_id = ${p.add(route.workflowId)},
                attempts = attempts + 1, claimed_until = NULL, next_attempt_at = NULL, last_error = NULL
          WHERE id = ${p.add(d.id)}::uuid AND status = 'QUEUED' RETURNING referral_id`;
      const ev = EVENTS[d.kind];
      const detail = ev ? { ...eventDetail(d.kind, d), ...(d.kind === 'TRANSFER' ? { rttStatus: '21' } : {}) } : null;
      await this.prisma.sql.query(
        ev
          ? `WITH u AS (${update}) ${eventAtStatusSql(p, 'u', 'u', SYSTEM_ACTOR, `${p.add(ev.sent)}::text`, `${p.add(JSON.stringify(detail))}::jsonb`)}`
          : update,
        p.values,
      );
      return 'sent';
    } catch (e) {
      if (e instanceof MailboxError && !e.retryable) return this.fail(d, 'refused', e.message);
      // Anything else (MESH unreachable, a document that would not render) is tried again later,
      // counted, and after MESH_SEND_ATTEMPTS told to the sending team: never left claimed and silent.
      return this.retryLater(d, e instanceof MailboxError ? e : new MailboxError(e instanceof Error ? e.message : 'send failed', true));
    }
  }

  /** Backoff: base x 2^(attempts-1), at most retryMaxMs; a task once sending has failed sendAttempts times, and sending goes on. */
  private async retryLater(d: DueDispatch, e: MailboxError): Promise<'waiting'> {
    const attempts = d.attempts + 1;
    const { retryBaseMs, retryMaxMs, sendAttempts } = this.config.mesh;
    const waitMs = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts - 1, 30));
    await this.prisma.sqlTransaction(async (tx) => {
      await tx.query(
        `UPDATE dispatch SET attempts = $2, next_attempt_at = now() + make_interval(secs => $3 / 1000.0), last_error = $4, claimed_until = NULL
          WHERE id = $1::uuid AND status = 'QUEUED'`,
        [d.id, attempts, waitMs, e.message.slice(0, 300)],
      );
      if (attempts >= sendAttempts) await this.task(tx, d, 'dispatch_send_failing', `dispatch-send-failing.${d.id}`, { attempts });
    });
    this.logger.warn(
      { dispatchId: d.id, kind: d.kind, attempts, status: e.status, error: e.message.slice(0, 200), retryInMs: waitMs },
      'MESH send failed; will try again',
    );
    return 'waiting';
  }

  private async fail(
    d: { id: string; referralId: string; kind: DispatchKind; senderOds: string | null; recipientOds: string },
    reason: string,
    message: string,
  ) {
    await this.prisma.sqlTransaction(async (tx) => {
      const { rowCount } = await tx.query(
        `UPDATE dispatch SET status = 'FAILED', failed_at = now(), last_error = $2, claimed_until = NULL, next_attempt_at = NULL
          WHERE id = $1::uuid AND status <> 'FAILED' AND status <> 'ACKNOWLEDGED'`,
        [d.id, message.slice(0, 300)],
      );
      if (!rowCount) return;
      await this.event(tx, d.referralId, 'dispatch_failed', { kind: d.kind, recipientOds: d.recipientOds, reason });
      await this.task(tx, d, 'dispatch_failed', `dispatch-failed.${d.id}`, { reason });
    });
    this.logger.warn({ dispatchId: d.id, kind: d.kind, reason }, 'dispatch failed');
    return 'failed' as const;
  }

  /**
   * Reads the inbox: each business acknowledgement closes its dispatch (ACKNOWLEDGED, or FAILED
   * when the recipient refused it), each MESH report of a message it could not deliver fails it.
   * A message is taken out of the inbox only after what it says is committed: a worker that dies in
   * between reads it again, and the second reading changes nothing.
   */
  async pollInbox(): Promise<{ read: number; closed: number }> {
    let read = 0,
      closed = 0;
    // Each message is independent of the others (every update below is guarded by the dispatch's status).
    await inLanes(
      await this.mailbox.inbox(),
      (id) => id,
      this.config.mesh.concurrency,
      async (messageId) => {
        read++;
        if (await this.readOne(messageId)) closed++;
      },
    );
    return { read, closed };
  }

  /** Reads one inbox message and acts on it (pollInbox); true when it closed a dispatch. */
  private async readOne(messageId: string): Promise<boolean> {
    const m = await this.mailbox.download(messageId);
    let closed = false;
    if (m.messageType === 'REPORT') {
      if (m.statusSuccess === false && m.linkedMessageId) {
        const d = await findDispatch(this.prisma.sql, { messageId: m.linkedMessageId });
        closed = !!d && (await this.closeFailed(d, 'undeliverable'));
      }
    } else if (m.workflowId?.endsWith(ACK_SUFFIX)) {
      const ack = parseAcknowledgement(m.body);
      // The usual case, a dispatch sent and now accepted, in one statement; anything else (refused,
      // early, unknown, a repeat) is worked out in the transaction below.
      if (ack && ack.outcome !== 'rejected' && (await this.acknowledgedAtOnce(ack))) closed = true;
      else if (ack) {
        const done = await this.prisma.sqlTransaction(async (tx) => {
          const d = await findDispatch(tx, ack);
          if (!d) return 'unknown';
          // An acknowledgement can beat the record of its own send (a quick recipient, a slow
          // commit): left in the inbox for the next pass, when the dispatch is SENT.
          if (d.status === 'QUEUED') return 'early';
          if (ack.outcome === 'rejected') return (await this.closeFailedIn(tx, d, 'rejected_by_recipient')) ? 'closed' : 'repeat';
          return (await this.acknowledged(tx, d)) ? 'closed' : 'repeat';
        });
        if (done === 'early') return false;
        closed = done === 'closed';
        if (done === 'unknown') this.logger.warn({ messageId, workflowId: m.workflowId }, 'an acknowledgement of no dispatch we know; taken out of the inbox');
      } else this.logger.warn({ messageId, workflowId: m.workflowId }, 'an acknowledgement we could not read; taken out of the inbox');
    } else {
      this.logger.warn({ messageId, workflowId: m.workflowId }, 'a MESH message crosstrust does not expect; taken out of the inbox');
    }
    await this.mailbox.acknowledge(messageId);
    return closed;
  }

  /** Asks MESH about messages sent and not yet downloaded: downloaded ones become DELIVERED (those of a pass in one statement). */
  async track(): Promise<{ delivered: number }> {
    const downloaded: string[] = [];
    await inLanes(
      await sentNotDelivered(this.prisma.sql, BATCH),
      (d) => d.id,
      this.config.mesh.concurrency,
      async (d) => {
        const t = await this.mailbox.tracking(d.messageId);
        if (!t) return;
        if (t.statusSuccess === false || t.status === 'error' || t.status === 'undeliverable') {
          await this.closeFailed(d, 'undeliverable');
        } else if (t.status === 'acknowledged') downloaded.push(d.id);
      },
    );
    if (downloaded.length === 0) return { delivered: 0 };
    const { rowCount } = await this.prisma.sql.query(
      `UPDATE dispatch SET status = 'DELIVERED', delivered_at = now() WHERE id = ANY($1::uuid[]) AND status = 'SENT'`,
      [downloaded],
    );
    return { delivered: rowCount ?? 0 };
  }

  /**
   * The acknowledgement `ack` closes its dispatch if that was sent (or delivered): ACKNOWLEDGED, with
   * its timeline event, in one statement. False when it did not (not found, not sent yet, already closed).
   */
  private async acknowledgedAtOnce(ack: { messageId?: string | null; localId?: string | null }): Promise<boolean> {
    const local = ack.localId && /^[0-9a-f-]{36}$/i.test(ack.localId) ? ack.localId : null;
    const p = new SqlParams();
    const messageId = p.add(ack.messageId ?? null);
    const localId = p.add(local);
    const ev = acknowledgedEventSql('d');
    const { rows } = await this.prisma.sql.query<{ n: number }>(
      `WITH d AS (
         UPDATE dispatch SET status = 'ACKNOWLEDGED', acknowledged_at = now(), delivered_at = COALESCE(delivered_at, now())
          WHERE id = (SELECT id FROM dispatch WHERE (${messageId}::text IS NOT NULL AND message_id = ${messageId}::text)
                                              OR (${localId}::uuid IS NOT NULL AND id = ${localId}::uuid) LIMIT 1)
            AND status IN ('SENT', 'DELIVERED')
          RETURNING referral_id, kind, recipient_ods),
       e AS (${eventAtStatusSql(p, 'd', 'd', SYSTEM_ACTOR, ev.type, ev.detail, ev.where)})
       SELECT count(*)::int AS n FROM d`,
      p.values,
    );
    return (rows[0]?.n ?? 0) > 0;
  }

  /** A task for the sending team about each dispatch sent longer ago than MESH_ACK_TIMEOUT_MS with no acknowledgement. */
  async raiseOverdue(): Promise<{ raised: number }> {
    let raised = 0;
    for (const d of await unacknowledged(this.prisma.sql, this.config.mesh.ackTimeoutMs, BATCH)) {
      if (await this.task(this.prisma.sql, d, 'dispatch_unacknowledged', `dispatch-unacknowledged.${d.id}`, { status: d.status })) raised++;
    }
    return { raised };
  }

  private async acknowledged(tx: Tx, d: WaitingDispatch): Promise<boolean> {
    const { rowCount } = await tx.query(
      `UPDATE dispatch SET status = 'ACKNOWLEDGED', acknowledged_at = now(), delivered_at = COALESCE(delivered_at, now())
        WHERE id = $1::uuid AND status IN ('SENT', 'DELIVERED')`,
      [d.id],
    );
    const ev = EVENTS[d.kind];
    if (rowCount && ev) await this.event(tx, d.referralId, ev.acknowledged, eventDetail(d.kind, d));
    return !!rowCount;
  }

  private closeFailed(d: WaitingDispatch, reason: string): Promise<boolean> {
    return this.prisma.sqlTransaction((tx) => this.closeFailedIn(tx, d, reason));
  }

  private async closeFailedIn(tx: Tx, d: WaitingDispatch, reason: string): Promise<boolean> {
    const { rowCount } = await tx.query(
      `UPDATE dispatch SET status = 'FAILED', failed_at = now(), last_error = $2 WHERE id = $1::uuid AND status IN ('SENT', 'DELIVERED')`,
      [d.id, reason],
    );
    if (!rowCount) return false;
    await this.event(tx, d.referralId, 'dispatch_failed', { kind: d.kind, recipientOds: d.recipientOds, reason });
    await this.task(tx, d, 'dispatch_failed', `dispatch-failed.${d.id}`, { reason });
    return true;
  }

  /** A system event on the referral, at its status now (none if the referral is gone). */
  private async event(tx: Tx, referralId: string, type: string, detail: Record<string, unknown>): Promise<void> {
    const p = new SqlParams();
    await tx.query(
      eventAtStatusSql(
        p,
        `(SELECT ${p.add(referralId)}::uuid AS referral_id) AS one`,
        'one',
        SYSTEM_ACTOR,
        `${p.add(type)}::text`,
        `${p.add(JSON.stringify(detail))}::jsonb`,
      ),
      p.values,
    );
  }

  private task(
    db: SqlRunner,
    d: { id: string; referralId: string; kind: DispatchKind; senderOds: string | null; recipientOds: string },
    kind: string,
    key: string,
    detail: Record<string, unknown>,
  ) {
    return raiseTask(db, {
      trustOds: d.senderOds ?? d.recipientOds,
      team: DISPATCH_ROUTES[d.kind].team,
      kind,
      referralId: d.referralId,
      key,
      detail: { dispatchId: d.id, dispatchKind: d.kind, recipientOds: d.recipientOds, ...detail },
    });
  }
}
