// The tasks worklist (GET /v1/tasks, POST /v1/tasks/:id/complete) and the team contacts a trust
// admin manages (GET /v1/team-contacts, PUT /v1/team-contacts/:team), against the real stack.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { raiseTask } from '#workflow';
import { bearer, driveTo, token, useStack } from './support/stack.js';

const { s, c } = useStack();
let referralId: string;
/** A kind only this run uses, so other suites' tasks do not get in the way. */
const KIND = `test_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
const raised: string[] = [];

beforeAll(async () => {
  referralId = (await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW')).id;
  // Five booking tasks and one clinical task at RLQ, one booking task at RJC, created a second apart.
  const specs: Array<[string, 'booking' | 'clinical']> = [
    ['RLQ', 'booking'],
    ['RLQ', 'booking'],
    ['RLQ', 'clinical'],
    ['RLQ', 'booking'],
    ['RJC', 'booking'],
    ['RLQ', 'booking'],
    ['RLQ', 'booking'],
  ];
  for (const [i, [ods, team]] of specs.entries()) {
    const key = `${KIND}.${i}`;
    expect(await raiseTask(s.prisma.sql, { trustOds: ods, team, kind: KIND, referralId, key, detail: { n: i } })).toBe(true);
    expect(await raiseTask(s.prisma.sql, { trustOds: ods, team, kind: KIND, referralId, key })).toBe(false); // once per key
    const { rows } = await s.prisma.sql.query<{ id: string }>(
      `UPDATE task SET created_at = now() - make_interval(secs => $2) WHERE key = $1 RETURNING id::text AS id`,
      [key, 100 - i],
    );
    raised.push(rows[0].id);
  }
}, 120_000);

async function allPages(t: string, qs: string, limit: number) {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const res: { status: number; body: any } = await s.http.get(`/v1/tasks?${qs}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`).set(bearer(t));
    expect(res.status).toBe(200);
    ids.push(...res.body.items.map((x: { id: string }) => x.id));
    cursor = res.body.nextCursor;
    if (!cursor) break;
    expect(res.body.items).toHaveLength(limit);
  }
  return ids;
}

describe('GET /v1/tasks', () => {
  it("lists the trust's open tasks oldest first, by team, across pages that neither repeat nor skip", async () => {
    const booking = raised.filter((_, i) => ![2, 4].includes(i));
    expect(await allPages(c.clerkRLQ, `kind=${KIND}&team=booking`, 2)).toEqual(booking);
    expect(await allPages(c.clinRLQ, `kind=${KIND}&team=clinical`, 2)).toEqual([raised[2]]);
    expect(await allPages(c.clinRLQ, `kind=${KIND}`, 50)).toEqual(raised.filter((_, i) => i !== 4));
    expect(await allPages(c.clerkRJC, `kind=${KIND}`, 50)).toEqual([raised[4]]);
    expect(await allPages(c.clerkRLT, `kind=${KIND}`, 50)).toEqual([]);
    const one = await s.http.get(`/v1/tasks?kind=${KIND}&team=clinical`).set(bearer(c.clinRLQ));
    expect(one.body.items[0]).toMatchObject({
      id: raised[2],
      trustOds: 'RLQ',
      team: 'clinical',
      kind: KIND,
      referralId,
      status: 'OPEN',
      detail: { n: 2 },
      completedAt: null,
    });
  });

  it('completes a task once: 409 the second time, 404 for another trust, and it moves to DONE', async () => {
    const id = raised[6];
    expect((await s.http.post(`/v1/tasks/${id}/complete`).set(bearer(c.clerkRJC))).status).toBe(404);
    expect((await s.http.post(`/v1/tasks/${randomUUID()}/complete`).set(bearer(c.clerkRLQ))).status).toBe(404);
    const done = await s.http.post(`/v1/tasks/${id}/complete`).set(bearer(c.clinRLQ));
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id, status: 'DONE', completedBy: 'clin-rlq' });
    const again = await s.http.post(`/v1/tasks/${id}/complete`).set(bearer(c.clerkRLQ));
    expect(again.status).toBe(409);
    expect(await allPages(c.clerkRLQ, `kind=${KIND}&status=DONE`, 50)).toEqual([id]);
    expect(await allPages(c.clerkRLQ, `kind=${KIND}&team=booking`, 50)).not.toContain(id);
    // Audited like the other routes: who, role, trust, action, outcome.
    const audit = await s.prisma.sql.query<{ outcome: number }>(
      `SELECT outcome FROM audit_event WHERE action = 'task.complete' AND actor_sub = 'clin-rlq' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit.rows[0]?.outcome).toBe(200);
  });

  it('refuses bad input and callers without the permission', async () => {
    expect((await s.http.get('/v1/tasks?team=porters').set(bearer(c.clerkRLQ))).status).toBe(400);
    expect((await s.http.get('/v1/tasks?status=MAYBE').set(bearer(c.clerkRLQ))).status).toBe(400);
    expect((await s.http.get('/v1/tasks?limit=0').set(bearer(c.clerkRLQ))).status).toBe(400);
    expect((await s.http.get('/v1/tasks?cursor=not-a-cursor').set(bearer(c.clerkRLQ))).status).toBe(422);
    expect((await s.http.get('/v1/tasks?unknown=1').set(bearer(c.clerkRLQ))).status).toBe(400);
    expect((await s.http.post('/v1/tasks/not-a-uuid/complete').set(bearer(c.clerkRLQ))).status).toBe(400);
    expect((await s.http.get('/v1/tasks').set(bearer(c.adminRLQ))).status).toBe(403);
    expect((await s.http.get('/v1/tasks').set(bearer(c.integrationRLQ))).status).toBe(403);
    expect((await s.http.get('/v1/tasks')).status).toBe(401);
  });
});

describe('team contacts', () => {
  it("lets a trust admin read and set its own teams' addresses, and nobody else", async () => {
    const adminRLT = await token({ role: 'trust_admin', ods: 'RLT', sub: 'admin-rlt' });
    const list = await s.http.get('/v1/team-contacts').set(bearer(c.adminRJC));
    expect(list.status).toBe(200);
    expect(list.body.items.map((x: { team: string }) => x.team)).toEqual(['booking', 'clinical']);
    const put = await s.http.put('/v1/team-contacts/clinical').set(bearer(adminRLT)).send({ email: 'theatres.rlt@example.nhs.uk' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ trustOds: 'RLT', team: 'clinical', email: 'theatres.rlt@example.nhs.uk', updatedBy: 'admin-rlt' });
    const after = await s.http.get('/v1/team-contacts').set(bearer(adminRLT));
    expect(after.body.items.find((x: { team: string }) => x.team === 'clinical').email).toBe('theatres.rlt@example.nhs.uk');
    expect((await s.http.put('/v1/team-contacts/porters').set(bearer(adminRLT)).send({ email: 'a@example.nhs.uk' })).status).toBe(422);
    expect((await s.http.put('/v1/team-contacts/booking').set(bearer(adminRLT)).send({ email: 'not an address' })).status).toBe(400);
    expect((await s.http.put('/v1/team-contacts/booking').set(bearer(c.clerkRLT)).send({ email: 'a@example.nhs.uk' })).status).toBe(403);
    expect((await s.http.get('/v1/team-contacts').set(bearer(c.clinRLQ))).status).toBe(403);
    // Put it back for anything else that runs against this database.
    await s.http.put('/v1/team-contacts/clinical').set(bearer(adminRLT)).send({ email: 'clinical-team.rlt@example.nhs.uk' });
  });
});
