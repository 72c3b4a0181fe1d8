// With no MESH_URL (as under `npm start` and in every other suite), dispatches go to the local
// folder mailbox, whose recipients acknowledge at once; and the console's referral page shows each
// dispatch's state, in Chromium with JavaScript off.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startConsole, type ConsoleHarness } from './support/console.js';
import { bearer, driveTo, drained, waitUntil } from './support/stack.js';

let h: ConsoleHarness;

beforeAll(async () => {
  h = await startConsole();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

async function dispatches(referralId: string) {
  const { rows } = await h.s.prisma.sql.query<{ id: string; kind: string; status: string }>(
    'SELECT id, kind, status FROM dispatch WHERE referral_id = $1::uuid ORDER BY kind',
    [referralId],
  );
  return rows;
}

describe('the local folder mailbox', () => {
  it('carries every dispatch of a referral to ACKNOWLEDGED, each message a file in MESH_LOCAL_DIR', async () => {
    const ref = await driveTo(h.s, h.c, 'DISCHARGED');
    await drained(h.s);
    const rows = await dispatches(ref.id);
    expect(rows.map((d) => [d.kind, d.status])).toEqual([
      ['DISCHARGE_SUMMARY', 'ACKNOWLEDGED'],
      ['RECEIVER_DECISION', 'ACKNOWLEDGED'],
      ['REMOVE_FROM_LIST', 'ACKNOWLEDGED'],
      ['TRANSFER', 'ACKNOWLEDGED'],
    ]);
    const gpInbox = path.join(process.env.MESH_LOCAL_DIR!, 'M81001GP01', 'in');
    const summary = rows.find((d) => d.kind === 'DISCHARGE_SUMMARY')!;
    let found: { messageId: string; workflowId: string; localId: string } | undefined;
    for (const name of (await readdir(gpInbox)).filter((n) => n.endsWith('.json'))) {
      const meta = JSON.parse(await readFile(path.join(gpInbox, name), 'utf8'));
      if (meta.localId === summary.id) found = meta;
    }
    expect(found).toMatchObject({ workflowId: 'CROSSTRUST_DISCHARGE', localId: summary.id });
    const bundle = JSON.parse(await readFile(path.join(gpInbox, `${found!.messageId}.dat`), 'utf8'));
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'document' });
    // Our own inbox is empty again: each acknowledgement was read and taken out.
    expect((await readdir(path.join(process.env.MESH_LOCAL_DIR!, 'CROSSTRUST', 'in'))).filter((n) => n.endsWith('.json'))).toEqual([]);
  });

  it("sends the origin's PAS a rejection, with its reason code, and no remove-from-list notice", async () => {
    const ref = await driveTo(h.s, h.c, 'AWAITING_RECEIVER_ACCEPTANCE');
    // The data set goes first (a rejection before its job ran would leave nothing to send: the trust is no longer a party).
    await drained(h.s);
    const res = await h.s.http
      .post(`/v1/referrals/${ref.id}/receiver-decision`)
      .set(bearer(h.c.clinRJC))
      .send({ decision: 'reject', reasonCode: 'NO_SURGICAL_CAPACITY' });
    expect(res.status).toBe(200);
    await drained(h.s);
    expect((await dispatches(ref.id)).map((d) => [d.kind, d.status])).toEqual([
      ['RECEIVER_DECISION', 'ACKNOWLEDGED'],
      ['TRANSFER', 'ACKNOWLEDGED'],
    ]);
    const { rows } = await h.s.prisma.sql.query<{ payload: Record<string, unknown>; recipientOds: string; senderOds: string }>(
      `SELECT payload, recipient_ods AS "recipientOds", sender_ods AS "senderOds" FROM dispatch WHERE referral_id = $1::uuid AND kind = 'RECEIVER_DECISION'`,
      [ref.id],
    );
    expect(rows[0]).toMatchObject({
      recipientOds: 'RLQ',
      senderOds: 'RJC',
      payload: { decision: 'rejected', reasonCode: 'NO_SURGICAL_CAPACITY', receivingOds: 'RJC' },
    });
  });

  it('fails a dispatch to an organisation with no mailbox recorded, with a task for the sending team', async () => {
    const ref = await driveTo(h.s, h.c, 'DISCHARGED', { patient: { gpPracticeOds: 'M81999' } });
    await waitUntil(async () => (await dispatches(ref.id)).find((d) => d.kind === 'DISCHARGE_SUMMARY' && d.status === 'FAILED'), 'the summary to fail');
    const { rows } = await h.s.prisma.sql.query<{ kind: string; trustOds: string; team: string }>(
      'SELECT kind, trust_ods AS "trustOds", team FROM task WHERE referral_id = $1::uuid',
      [ref.id],
    );
    expect(rows).toEqual([{ kind: 'dispatch_failed', trustOds: 'RJC', team: 'clinical' }]);
  });
});

describe("the referral page's messages to other organisations", () => {
  it("lists each dispatch in words with its state, without JavaScript, and meets axe-core's checks", async () => {
    const ref = await driveTo(h.s, h.c, 'DISCHARGED');
    await drained(h.s);
    const failed = await driveTo(h.s, h.c, 'DISCHARGED', { patient: { gpPracticeOds: 'M81999' } });
    await waitUntil(async () => (await dispatches(failed.id)).some((d) => d.status === 'FAILED'), 'the summary to fail');

    const page = await h.signedIn('clinician.rjc', `/console/referrals/${ref.id}`, { javaScriptEnabled: false });
    const table = page.getByRole('table', { name: 'Messages sent over MESH to other organisations' });
    const rows = await table.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(4);
    expect(rows.join('\n')).toContain("Transfer data set (IPT) to RJC's patient administration system");
    expect(rows.join('\n')).toContain("Remove from waiting list, to RLQ's patient administration system");
    expect(rows.join('\n')).toContain('Discharge summary, to GP practice M81001');
    for (const r of rows) expect(r).toContain('Acknowledged');
    await h.shots(page, 'referral-dispatches');

    await page.goto(`${h.base}/console/referrals/${failed.id}`);
    const failedRows = await page.getByRole('table', { name: 'Messages sent over MESH to other organisations' }).locator('tbody tr').allTextContents();
    expect(failedRows.find((r) => r.includes('Discharge summary'))).toContain('Failed: a task is open');
    expect(h.axeFindings.get('referral-dispatches')).toEqual([]);
  });
});
