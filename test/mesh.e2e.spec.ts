// MESH end to end: the worker sends each dispatch to a fake MESH server that speaks the documented
// API, the recipients' acknowledgements close them, and outages, refusals and silence each end as
// they should (docs/mesh.md).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { MailboxError, MeshApiMailbox, loadConfigForMesh } from './support/mesh-config.js';
import { startFakeMesh, type FakeMesh } from './support/fake-mesh.js';
import { driveTo, isoDay, readyLater, useEnv, useStack, waitUntil, type Stack } from './support/stack.js';

const PASSWORDS = { CROSSTRUST: 'our-password', RJCPAS01: 'rjc', RLQPAS01: 'rlq', M81001GP01: 'gp' };
let fakeMesh: FakeMesh | undefined;
beforeAll(async () => {
  fakeMesh = await startFakeMesh({ mailboxes: PASSWORDS });
});
const mesh = readyLater('the fake MESH server', () => fakeMesh);
useEnv(() => ({
  MESH_URL: mesh.url,
  MESH_MAILBOX_ID: 'CROSSTRUST',
  MESH_PASSWORD: PASSWORDS.CROSSTRUST,
  MESH_SHARED_KEY: mesh.sharedKey,
  // The discharge document (its PDF inside) is several chunks; the data sets one.
  MESH_CHUNK_BYTES: '4096',
  MESH_SEND_ATTEMPTS: '3',
  MESH_RETRY_BASE_MS: '20',
  MESH_RETRY_MAX_MS: '100',
}));
const { s, c } = useStack();

afterAll(async () => {
  // What this suite left waiting is the fake server's to finish: the next suite's local mailbox cannot.
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  await db.query(`UPDATE dispatch SET status = 'FAILED', failed_at = now() WHERE status IN ('QUEUED', 'SENT', 'DELIVERED')`);
  await db.end();
  await fakeMesh?.close();
});

async function dispatchOf(st: Stack, referralId: string, kind: string) {
  const { rows } = await st.prisma.sql.query<{ id: string; status: string; attempts: number; messageId: string | null }>(
    `SELECT id, status, attempts, message_id AS "messageId" FROM dispatch WHERE referral_id = $1::uuid AND kind = $2`,
    [referralId, kind],
  );
  return rows[0];
}

async function waitForDispatch(referralId: string, kind: string, status: string) {
  const d = await waitUntil(async () => {
    const row = await dispatchOf(s, referralId, kind);
    return row?.status === status ? row : null;
  }, `the ${kind} dispatch of ${referralId} to be ${status}`);
  return d!;
}

async function messageFor(mailbox: string, localId: string) {
  const m = await waitUntil(async () => mesh.to(mailbox).find((x) => x.localId === localId), `a message to ${mailbox} for ${localId}`);
  return m!;
}

/** The recipient's business acknowledgement, sent back to our mailbox. */
function acknowledge(from: string, messageId: string, workflowId: string, outcome: 'accepted' | 'rejected' = 'accepted') {
  mesh.recipientAcknowledges(messageId);
  mesh.deliver({ from, to: 'CROSSTRUST', workflowId: `${workflowId}_ACK`, body: Buffer.from(JSON.stringify({ acknowledgement: { messageId, outcome } })) });
}

async function tasksOf(referralId: string) {
  const { rows } = await s.prisma.sql.query<{ kind: string; trustOds: string; team: string }>(
    'SELECT kind, trust_ods AS "trustOds", team FROM task WHERE referral_id = $1::uuid ORDER BY created_at',
    [referralId],
  );
  return rows;
}

describe('the transfer of care over MESH', () => {
  it("sends the IPT minimum data set to the receiving trust's PAS, complete, and the acknowledgement closes it", async () => {
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    const sent = await waitForDispatch(ref.id, 'TRANSFER', 'SENT');
    const m = await messageFor('RJCPAS01', sent.id);
    expect(m).toMatchObject({ from: 'CROSSTRUST', workflowId: 'CROSSTRUST_IPT', contentType: 'application/json', messageId: sent.messageId });
    // The subject travels in MESH's metadata: no patient data there.
    expect(m.subject).toBe('Inter-provider transfer minimum data set');
    const ipt = JSON.parse(m.body.toString('utf8'));
    // Field by field, the data dictionary's inter-provider transfer administrative minimum data set (docs/mesh.md).
    expect(ipt).toMatchObject({
      dataSet: 'IPT-AMDS',
      nhsNumber: ref.nhs,
      nhsNumberStatus: '02',
      familyName: 'Testpatient',
      givenName: 'Alex',
      dateOfBirth: '1960-05-05',
      postcode: 'HR1 2ER',
      gpPracticeOds: 'M81001',
      pathwayId: ref.body.pathwayId,
      pathwayIdIssuer: 'RLQ',
      rttStatus: '21',
      rttClockStart: ref.body.rttClockStart,
      decisionToReferDate: isoDay(0),
      referringOds: 'RLQ',
      referringProfessional: { id: 'clin-rlq', role: 'clinician', odsCode: 'RLQ' },
      receivingOds: 'RJC',
      specialtyCode: '110',
      procedureCode: 'W371',
      priority: 'P4',
    });
    expect(ipt.organisations.map((o: { odsCode: string }) => o.odsCode)).toEqual(['M81001', 'RLQ', 'RJC']);
    expect(ipt.pathwayHistory.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['referral_opened', 'screening_passed', 'clinical_review_suitable', 'consent_accepted']),
    );

    mesh.recipientAcknowledges(m.messageId);
    await waitForDispatch(ref.id, 'TRANSFER', 'DELIVERED');
    acknowledge('RJCPAS01', m.messageId, m.workflowId);
    await waitForDispatch(ref.id, 'TRANSFER', 'ACKNOWLEDGED');
    // Our mailbox took the acknowledgement out of its inbox.
    await waitUntil(async () => mesh.messages.filter((x) => x.to === 'CROSSTRUST' && x.status === 'accepted').length === 0, 'the inbox to empty');
    const view = await s.http.get(`/v1/referrals/${ref.id}`).set({ Authorization: `Bearer ${c.clinRLQ}` });
    expect(view.body.timeline.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['transfer_dispatched', 'transfer_acknowledged']));
    // Each event once, by the system, at the referral's status, naming the recipient.
    const events = (type: string) =>
      view.body.timeline.filter((e: { type: string }) => e.type === type) as Array<{
        detail: unknown;
        actor: { role: string };
        fromStatus: string;
        toStatus: string;
      }>;
    expect(events('transfer_dispatched')).toEqual([
      expect.objectContaining({ detail: { recipientOds: 'RJC', rttStatus: '21' }, actor: expect.objectContaining({ role: 'system' }) }),
    ]);
    expect(events('transfer_acknowledged')).toEqual([
      expect.objectContaining({ detail: { recipientOds: 'RJC' }, actor: expect.objectContaining({ role: 'system' }) }),
    ]);
    for (const e of [...events('transfer_dispatched'), ...events('transfer_acknowledged')]) expect(e.toStatus).toBe(e.fromStatus);
    expect(view.body.dispatches).toEqual([expect.objectContaining({ kind: 'TRANSFER', status: 'ACKNOWLEDGED', recipientOds: 'RJC', attempts: 1 })]);
  });

  it("tells the origin's PAS the receiving trust's acceptance and to take the patient off its list", async () => {
    const ref = await driveTo(s, c, 'AWAITING_BOOKING');
    const decision = await waitForDispatch(ref.id, 'RECEIVER_DECISION', 'SENT');
    const remove = await waitForDispatch(ref.id, 'REMOVE_FROM_LIST', 'SENT');
    const d = await messageFor('RLQPAS01', decision.id);
    expect(JSON.parse(d.body.toString('utf8'))).toMatchObject({
      decision: 'accepted',
      receivingOds: 'RJC',
      pathwayId: ref.body.pathwayId,
      pathwayIdIssuer: 'RLQ',
    });
    const r = await messageFor('RLQPAS01', remove.id);
    expect(r.workflowId).toBe('CROSSTRUST_IPT_REMOVE');
    expect(JSON.parse(r.body.toString('utf8'))).toMatchObject({
      dataSet: 'IPT-REMOVE',
      nhsNumber: ref.nhs,
      pathwayId: ref.body.pathwayId,
      rttStatus: '21',
      transferredTo: 'RJC',
    });
    acknowledge('RLQPAS01', r.messageId, r.workflowId);
    acknowledge('RLQPAS01', d.messageId, d.workflowId);
    await waitForDispatch(ref.id, 'REMOVE_FROM_LIST', 'ACKNOWLEDGED');
    await waitForDispatch(ref.id, 'RECEIVER_DECISION', 'ACKNOWLEDGED');
  });
});

describe('the discharge summary over MESH', () => {
  it('sends the GP practice a FHIR document with its PDF, in chunks, and the acknowledgement closes it', async () => {
    const ref = await driveTo(s, c, 'DISCHARGED');
    const sent = await waitForDispatch(ref.id, 'DISCHARGE_SUMMARY', 'SENT');
    const m = await messageFor('M81001GP01', sent.id);
    expect(m.totalChunks).toBeGreaterThan(1);
    expect(mesh.requests.filter((r) => r.method === 'POST' && r.path === `/messageexchange/CROSSTRUST/outbox/${m.messageId}/2`)).toEqual([
      { method: 'POST', path: `/messageexchange/CROSSTRUST/outbox/${m.messageId}/2`, status: 202 },
    ]);
    expect(m).toMatchObject({ workflowId: 'CROSSTRUST_DISCHARGE', contentType: 'application/fhir+json' });
    const bundle = JSON.parse(m.body.toString('utf8'));
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'document' });
    const byType = (t: string) =>
      bundle.entry.map((e: { resource: { resourceType: string } }) => e.resource).filter((r: { resourceType: string }) => r.resourceType === t);
    const [composition] = byType('Composition');
    expect(composition.type.coding[0]).toMatchObject({ system: 'http://snomed.info/sct', code: '373942005' });
    expect(composition.section.map((x: { title: string }) => x.title)).toEqual([
      'Patient demographics',
      'GP practice',
      'Admission details',
      'Discharge details',
      'Procedures',
      'Clinical summary',
      'Person completing record',
      'Attachments',
    ]);
    expect(composition.section[5].text.div).toContain('Recovered well.');
    expect(byType('Patient')[0].identifier).toEqual([{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: ref.nhs }]);
    const pdf = Buffer.from(byType('DocumentReference')[0].content[0].attachment.data, 'base64');
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    acknowledge('M81001GP01', m.messageId, m.workflowId);
    await waitForDispatch(ref.id, 'DISCHARGE_SUMMARY', 'ACKNOWLEDGED');
  });
});

describe('the sender', () => {
  it("sends several referrals' messages at once, and one referral's one after another in the order they were queued", async () => {
    const one = await driveTo(s, c, 'AWAITING_BOOKING');
    const others = [await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE'), await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE')];
    const order = ['TRANSFER', 'RECEIVER_DECISION', 'REMOVE_FROM_LIST'];
    const ones: Array<{ id: string }> = [];
    for (const kind of order) ones.push(await waitForDispatch(one.id, kind, 'SENT'));
    for (const r of others) await waitForDispatch(r.id, 'TRANSFER', 'SENT');
    // All five due again at once, the referral's three a millisecond apart in the order above, and
    // each send held 200 ms by MESH.
    const since = mesh.sends.length;
    mesh.sendDelayMs = 200;
    try {
      await s.prisma.sql.query(
        `UPDATE dispatch SET status = 'QUEUED', message_id = NULL, sent_at = NULL, claimed_until = NULL,
                next_attempt_at = now() - interval '1 second' + array_position($2::text[], kind) * interval '1 millisecond'
          WHERE referral_id = ANY($1::uuid[])`,
        [[one.id, ...others.map((r) => r.id)], order],
      );
      for (const kind of order) await waitForDispatch(one.id, kind, 'SENT');
      for (const r of others) await waitForDispatch(r.id, 'TRANSFER', 'SENT');
    } finally {
      mesh.sendDelayMs = 0;
    }
    const sends = mesh.sends.slice(since);
    expect(sends).toHaveLength(5);
    // The referral's three in order, each begun only once the one before it was answered.
    const mine = sends.filter((x) => ones.some((d) => d.id === x.localId));
    expect(mine.map((x) => x.localId)).toEqual(ones.map((d) => d.id));
    for (let i = 1; i < mine.length; i++) expect(mine[i].startedAt).toBeGreaterThanOrEqual(mine[i - 1].endedAt);
    // The three referrals side by side: their first sends were all held by MESH at the same moment.
    const firsts = [mine[0], ...sends.filter((x) => !mine.includes(x))];
    expect(Math.max(...firsts.map((x) => x.startedAt))).toBeLessThan(Math.min(...firsts.map((x) => x.endedAt)));
  });
});

describe('when things go wrong', () => {
  it('a dispatch with no acknowledgement in time raises a task for the sending team', async () => {
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    const sent = await waitForDispatch(ref.id, 'TRANSFER', 'SENT');
    expect(await tasksOf(ref.id)).toEqual([]);
    // Sent three days ago (MESH_ACK_TIMEOUT_MS is two days by default).
    await s.prisma.sql.query(`UPDATE dispatch SET sent_at = now() - interval '3 days' WHERE id = $1::uuid`, [sent.id]);
    const tasks = await waitUntil(async () => ((await tasksOf(ref.id)).length ? tasksOf(ref.id) : null), 'the unacknowledged task');
    expect(tasks).toEqual([{ kind: 'dispatch_unacknowledged', trustOds: 'RLQ', team: 'booking' }]);
  });

  it('a MESH outage loses nothing: the send retries with backoff, raises a task, and goes when MESH returns', async () => {
    mesh.down = true;
    try {
      const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
      const failing = (await waitUntil(async () => {
        const d = await dispatchOf(s, ref.id, 'TRANSFER');
        return d && d.attempts >= 3 ? d : null;
      }, 'three failed attempts'))!;
      expect(failing.status).toBe('QUEUED');
      await waitUntil(async () => (await tasksOf(ref.id)).some((t) => t.kind === 'dispatch_send_failing'), 'the send-failing task');
      expect(mesh.to('RJCPAS01').some((m) => m.localId === failing.id)).toBe(false);
      mesh.down = false;
      const sent = await waitForDispatch(ref.id, 'TRANSFER', 'SENT');
      expect(sent.attempts).toBeGreaterThan(3);
      expect((await messageFor('RJCPAS01', sent.id)).messageId).toBe(sent.messageId);
    } finally {
      mesh.down = false;
    }
  });

  it('a message MESH refuses (an unregistered recipient) fails at once with a task; a non-delivery report fails a sent one', async () => {
    const refused = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    await waitForDispatch(refused.id, 'TRANSFER', 'SENT');
    await s.prisma.sql.query(`UPDATE mesh_mailbox SET mailbox_id = 'NOSUCHBOX' WHERE ods_code = 'RJC' AND service = 'PAS'`);
    try {
      const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
      const failed = await waitForDispatch(ref.id, 'TRANSFER', 'FAILED');
      expect(failed.attempts).toBe(0);
      expect(await tasksOf(ref.id)).toEqual([{ kind: 'dispatch_failed', trustOds: 'RLQ', team: 'booking' }]);
    } finally {
      await s.prisma.sql.query(`UPDATE mesh_mailbox SET mailbox_id = 'RJCPAS01' WHERE ods_code = 'RJC' AND service = 'PAS'`);
    }
    const first = await dispatchOf(s, refused.id, 'TRANSFER');
    mesh.report(first.messageId!);
    await waitForDispatch(refused.id, 'TRANSFER', 'FAILED');
    expect((await tasksOf(refused.id)).map((t) => t.kind)).toEqual(['dispatch_failed']);
  });
});

describe('an acknowledgement that arrives before its send is recorded', () => {
  it('stays in the inbox until the dispatch is SENT, then closes it', async () => {
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    const sent = await waitForDispatch(ref.id, 'TRANSFER', 'SENT');
    // As if the send were still being recorded: QUEUED, no message id yet, not due again for an hour.
    await s.prisma.sql.query(`UPDATE dispatch SET status = 'QUEUED', message_id = NULL, next_attempt_at = now() + interval '1 hour' WHERE id = $1::uuid`, [
      sent.id,
    ]);
    const ackId = mesh.deliver({
      from: 'RJCPAS01',
      to: 'CROSSTRUST',
      workflowId: 'CROSSTRUST_IPT_ACK',
      body: Buffer.from(JSON.stringify({ acknowledgement: { localId: sent.id, outcome: 'accepted' } })),
    });
    const polls = () => mesh.requests.filter((r) => r.method === 'GET' && r.path === '/messageexchange/CROSSTRUST/inbox').length;
    const before = polls();
    await waitUntil(async () => polls() >= before + 3, 'three inbox polls');
    expect(mesh.messages.find((m) => m.messageId === ackId)?.status).toBe('accepted');
    expect((await dispatchOf(s, ref.id, 'TRANSFER')).status).toBe('QUEUED');
    await s.prisma.sql.query(`UPDATE dispatch SET status = 'SENT', message_id = $2 WHERE id = $1::uuid`, [sent.id, sent.messageId]);
    await waitForDispatch(ref.id, 'TRANSFER', 'ACKNOWLEDGED');
    await waitUntil(async () => mesh.messages.find((m) => m.messageId === ackId)?.status === 'acknowledged', 'the acknowledgement to leave the inbox');
  });
});

describe('the MESH client against the documented API', () => {
  const client = (over: Partial<Record<string, string>> = {}) =>
    new MeshApiMailbox(
      loadConfigForMesh({
        MESH_URL: mesh.url,
        MESH_MAILBOX_ID: 'RJCPAS01',
        MESH_PASSWORD: PASSWORDS.RJCPAS01,
        MESH_SHARED_KEY: mesh.sharedKey,
        MESH_CHUNK_BYTES: '1000',
        ...over,
      }),
    );

  it('round-trips a chunked message: sent in 1:N and follow-up chunk POSTs, downloaded chunk by chunk, acknowledged', async () => {
    const body = Buffer.from(Array.from({ length: 10_500 }, (_, i) => String.fromCharCode(65 + (i % 26))).join(''));
    const id = await client().send({
      to: 'RLQPAS01',
      workflowId: 'TEST_WF',
      subject: 'test',
      localId: 'local-1',
      body,
      contentType: 'text/plain',
      fileName: 'a.txt',
    });
    expect(mesh.requests.filter((r) => r.path.startsWith(`/messageexchange/RJCPAS01/outbox/${id}/`)).map((r) => r.path.split('/').pop())).toEqual([
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
      '11',
    ]);
    const rlq = client({ MESH_MAILBOX_ID: 'RLQPAS01', MESH_PASSWORD: PASSWORDS.RLQPAS01 });
    expect(await rlq.inbox()).toContain(id);
    const got = await rlq.download(id);
    expect(got).toMatchObject({ messageId: id, from: 'RJCPAS01', workflowId: 'TEST_WF', localId: 'local-1', messageType: 'DATA' });
    expect(got.body.equals(body)).toBe(true);
    expect(mesh.requests.filter((r) => r.path.startsWith(`/messageexchange/RLQPAS01/inbox/${id}`) && r.method === 'GET').map((r) => r.status)).toEqual([
      206, 206, 206, 206, 206, 206, 206, 206, 206, 206, 200,
    ]);
    expect((await client().tracking(id))?.status).toBe('accepted');
    await rlq.acknowledge(id);
    expect(await rlq.inbox()).not.toContain(id);
    expect((await client().tracking(id))?.status).toBe('acknowledged');
  });

  it("answers MESH's error codes as MailboxErrors: 403 bad auth (retryable), 417 unknown recipient (final), 404 unknown message, 503 down", async () => {
    const send = (m: MeshApiMailbox, to = 'RLQPAS01') =>
      m
        .send({ to, workflowId: 'TEST_WF', subject: 'test', localId: 'x', body: Buffer.from('x'), contentType: 'text/plain', fileName: 'x.txt' })
        .catch((e: unknown) => e);
    expect(await send(client({ MESH_PASSWORD: 'wrong' }))).toMatchObject({ status: 403, retryable: true });
    expect(await send(client(), 'NOSUCHBOX')).toMatchObject({ status: 417, retryable: false });
    expect(
      await client()
        .download('NOSUCHMESSAGE')
        .catch((e: unknown) => e),
    ).toMatchObject({ status: 404, retryable: false });
    mesh.down = true;
    try {
      const down = await send(client());
      expect(down).toBeInstanceOf(MailboxError);
      expect(down).toMatchObject({ status: 503, retryable: true });
    } finally {
      mesh.down = false;
    }
  });
});
