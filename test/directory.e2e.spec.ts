// The group's service directory and true distances (#16): services per site with their procedures
// and exclusions, capacity per service, matching that honours both and says why a site was left out,
// distances from the full postcode or its district or "not known" (never near), postcodes loaded by
// the command and the route, each trust's admins keeping only their own sites, and a group admin
// adding a trust that then takes part. Each test uses its own treatment function code.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { distanceMiles } from '#domain';
import { bearer, drained, getReferral, isoDay, openReferral, token, useStack, waitForStatus } from './support/stack.js';
import { directoryCalls, fourWeeks } from './support/capacity.js';

const { s, c } = useStack();
const { addService, declare } = directoryCalls(s);

/** A referral of RLQ for `tf` waiting for the clinician, as the clinician sees it. */
async function screened(over: Parameters<typeof openReferral>[2]) {
  const ref = await openReferral(s, c, over);
  await waitForStatus(s, c.clinRLQ, ref.id, 'AWAITING_CLINICAL_REVIEW');
  return ref;
}

const openSites = (view: { offers: Array<{ siteOds: string; status: string }> }) =>
  view.offers
    .filter((o) => o.status === 'OPEN')
    .map((o) => o.siteOds)
    .sort();

describe('matching honours the directory', () => {
  it("a site's BMI exclusion keeps a patient from being offered there, and the clinician sees why; an unknown BMI never excludes", async () => {
    const rlt = await token({ role: 'trust_admin', ods: 'RLT', sub: 'admin-rlt' });
    const svc = await addService(c.adminRJC, 'RJC08', {
      treatmentFunction: '401',
      name: 'Hips, BMI up to 35',
      procedures: ['W37-W39'],
      maxBmi: 35,
      maxAsaGrade: 3,
    });
    await declare(c.adminRJC, 'RJC', '401', { ...fourWeeks(), serviceId: svc });
    await declare(rlt, 'RLT', '401', fourWeeks());

    const heavy = await screened({ specialtyCode: '401' });
    const unknown = await screened({ specialtyCode: '401' });
    // What the origin's clinician recorded (the referral's clinical information: bmi, asa_grade), then the review re-matches.
    await s.prisma.sql.query(
      `INSERT INTO clinical_information (referral_id, bmi, asa_grade, updated_by_sub) VALUES ($1::uuid, 42.5, 2, 'test') ON CONFLICT (referral_id) DO UPDATE SET bmi = EXCLUDED.bmi, asa_grade = EXCLUDED.asa_grade`,
      [heavy.id],
    );
    for (const id of [heavy.id, unknown.id]) {
      expect((await s.http.post(`/v1/referrals/${id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' })).status).toBe(200);
    }

    const view = await getReferral(s, c.clinRLQ, heavy.id);
    expect(openSites(view)).toEqual(['RLT01']);
    expect(view.excludedSites).toEqual([
      {
        siteOds: 'RJC08',
        siteName: 'Stratford Hospital',
        receivingOds: 'RJC',
        serviceName: 'Hips, BMI up to 35',
        reasons: [{ code: 'BMI_ABOVE_MAXIMUM', text: "BMI 42.5 is above this service's maximum of 35" }],
      },
    ]);
    // BMI is clinical information: the booking clerk sees the offers, not why a site was left out.
    expect((await getReferral(s, c.clerkRLQ, heavy.id)).excludedSites).toBeUndefined();

    const notRecorded = await getReferral(s, c.clinRLQ, unknown.id);
    expect(openSites(notRecorded)).toEqual(['RJC08', 'RLT01']);
    expect(notRecorded.excludedSites).toEqual([]);
  });

  it('upper limb capacity is offered only to upper limb procedures, apart from hips and knees at the same trust', async () => {
    const upper = await addService(c.adminRJC, 'RJC08', { treatmentFunction: '402', name: 'Upper limb (402)', procedures: ['O06-O08', 'T52-T54'] });
    const hips = await addService(c.adminRJC, 'RJC02', { treatmentFunction: '402', name: 'Hips and knees (402)', procedures: ['W37-W42'], minAgeYears: 18 });
    await declare(c.adminRJC, 'RJC', '402', { ...fourWeeks(), serviceId: upper });
    await declare(c.adminRJC, 'RJC', '402', { ...fourWeeks(), serviceId: hips, weeklySlots: 5 });

    const list = await s.http.get('/v1/capacity?specialty=402').set(bearer(c.clerkRLQ));
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { siteOds: string; serviceName: string; weeklySlots: number }) => [i.siteOds, i.serviceName, i.weeklySlots])).toEqual([
      ['RJC02', 'Hips and knees (402)', 5],
      ['RJC08', 'Upper limb (402)', 3],
    ]);

    const shoulder = await screened({ specialtyCode: '402', procedureCode: 'O061' });
    const hip = await screened({ specialtyCode: '402', procedureCode: 'W371' });
    const shoulderView = await getReferral(s, c.clinRLQ, shoulder.id);
    expect(openSites(shoulderView)).toEqual(['RJC08']);
    expect(shoulderView.excludedSites.map((x: { siteOds: string; reasons: Array<{ code: string }> }) => [x.siteOds, x.reasons[0].code])).toEqual([
      ['RJC02', 'PROCEDURE_NOT_ACCEPTED'],
    ]);
    expect(openSites(await getReferral(s, c.clinRLQ, hip.id))).toEqual(['RJC02']);

    // The slot a shoulder patient takes is upper limb's: the hips and knees weeks are untouched.
    const patient = await token({ role: 'patient', nhsNumber: shoulder.nhs });
    expect((await s.http.post(`/v1/referrals/${shoulder.id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' })).status).toBe(200);
    const offer = (await getReferral(s, c.clinRLQ, shoulder.id)).offers.find((o: { siteOds: string; status: string }) => o.status === 'OPEN');
    expect((await s.http.post(`/v1/referrals/${shoulder.id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId: offer.id })).status).toBe(200);
    const after = await s.http.get('/v1/capacity?specialty=402').set(bearer(c.clerkRLQ));
    const used = after.body.items.map((i: { siteOds: string; totals: { used: number } }) => [i.siteOds, i.totals.used]);
    expect(used).toEqual([
      ['RJC02', 0],
      ['RJC08', 1],
    ]);
  });

  it('when every site with capacity excludes the patient, the clinical review is refused saying where and why', async () => {
    const svc = await addService(c.adminRJC, 'RJC08', { treatmentFunction: '409', name: 'Fit patients (409)', procedures: [], maxAsaGrade: 2 });
    await declare(c.adminRJC, 'RJC', '409', { ...fourWeeks(), serviceId: svc });
    const ref = await screened({ specialtyCode: '409' });
    await s.prisma.sql.query(
      `INSERT INTO clinical_information (referral_id, asa_grade, updated_by_sub) VALUES ($1::uuid, 4, 'test') ON CONFLICT (referral_id) DO UPDATE SET asa_grade = EXCLUDED.asa_grade`,
      [ref.id],
    );
    const res = await s.http.post(`/v1/referrals/${ref.id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe("No site with capacity can take this patient: the directory's services exclude them at RJC08 (ASA_GRADE_ABOVE_MAXIMUM).");
    expect(res.body.details).toEqual({
      reason: 'ALL_SITES_EXCLUDED',
      excludedSites: [{ siteOds: 'RJC08', receivingOds: 'RJC', reasons: ['ASA_GRADE_ABOVE_MAXIMUM'] }],
    });
    expect((await getReferral(s, c.clinRLQ, ref.id)).status).toBe('AWAITING_CLINICAL_REVIEW');
  });

  it('a service below the minimum age is not offered, with the reason', async () => {
    const rlt = await token({ role: 'trust_admin', ods: 'RLT', sub: 'admin-rlt' });
    const svc = await addService(c.adminRJC, 'RJC02', { treatmentFunction: '406', name: 'Over-50s hips (406)', procedures: [], minAgeYears: 50 });
    await declare(c.adminRJC, 'RJC', '406', { ...fourWeeks(), serviceId: svc });
    await declare(rlt, 'RLT', '406', fourWeeks());
    const young = await screened({ specialtyCode: '406', patient: { dateOfBirth: isoDay(-(40 * 365 + 30)) } });
    const view = await getReferral(s, c.clinRLQ, young.id);
    expect(openSites(view)).toEqual(['RLT01']);
    expect(view.excludedSites[0].reasons).toEqual([{ code: 'AGE_BELOW_MINIMUM', text: "Age 40 is under this service's minimum of 50" }]);
  });
});

describe('distances that are true', () => {
  it('an unknown postcode never reads as near: no distance, basis unknown, the clerk sees a flag and the patient is told', async () => {
    await declare(c.adminRJC, 'RJC', '403', fourWeeks());
    // A real-shaped postcode of the Isles of Scilly: in neither the postcode nor the district table.
    const ref = await screened({ specialtyCode: '403', patient: { postcode: 'TR21 0PW', givenName: 'Tamsin' } });
    // The patient said 5 miles at most; the review matches again with it.
    await s.prisma.sql.query('UPDATE referral SET travel_radius_miles = 5 WHERE id = $1::uuid', [ref.id]);
    expect((await s.http.post(`/v1/referrals/${ref.id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' })).status).toBe(200);
    const clerk = await getReferral(s, c.clerkRLQ, ref.id);
    // The radius could not be applied: the offer stands, and says so (never 0, never "less than 1 mile").
    expect(clerk.offers).toEqual([expect.objectContaining({ siteOds: 'RJC02', distanceMiles: null, distance: { miles: null, basis: 'unknown' } })]);
    expect(clerk.distanceUnknown).toBe(true);
    await drained(s);
    const { rows } = await s.prisma.sql.query<{ body: string; link: string }>(
      `SELECT t.body, t.link FROM local_message_text t JOIN notification n ON n.id = t.notification_id WHERE n.referral_id = $1::uuid AND t.event = 'offer'`,
      [ref.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].body).toContain(
      'Warwick Hospital (South Warwickshire University NHS Foundation Trust), Lakin Road, Warwick, CV34 5BW, we could not work out the distance',
    );
    expect(rows[0].body).toContain('Booking team: 01632 960 202');
    expect(rows[0].body).not.toMatch(/less than 1 mile/);

    // The offer page says the same, with the hospital's address and its booking team's number.
    const page = new URL(rows[0].link).pathname;
    const checked = await s.http.post(page).type('form').send({ 'dob-day': '5', 'dob-month': '5', 'dob-year': '1960' });
    expect(checked.status).toBe(303);
    const cookie = ([] as string[]).concat(checked.headers['set-cookie'] ?? []).map((x) => x.split(';')[0]);
    const choose = await s.http.get(`${page}/choose`).set('Cookie', cookie);
    expect(choose.status).toBe(200);
    expect(choose.text).toContain('We could not work out the distance from your home (so we could not check it against how far you are willing to travel)');
    expect(choose.text).toContain('Lakin Road, Warwick, CV34 5BW');
    expect(choose.text).toContain('01632 960 202');
    expect(choose.text).not.toContain('less than 1 mile');

    // A postcode of a known district with no loaded unit postcode: the district's centroid, and it says so.
    const district = await openReferral(s, c, { specialtyCode: '403', patient: { postcode: 'HR4 0ZZ' } });
    await waitForStatus(s, c.clinRLQ, district.id, 'AWAITING_CLINICAL_REVIEW');
    const near = await getReferral(s, c.clerkRLQ, district.id);
    expect(near.offers[0].distance.basis).toBe('district');
    expect(near.offers[0].distanceMiles).toBeGreaterThan(40);
    expect(near.distanceUnknown).toBe(false);
  });

  it('a postcode loaded by `npm run postcodes:load` is used at full-postcode precision; terminated and unplaceable rows are skipped', async () => {
    await declare(c.adminRJC, 'RJC', '404', { ...fourWeeks(), siteOds: 'RJC08' });
    // Made up: a CV37 postcode about 7 miles north of Stratford Hospital, where its district's centroid is under a mile away.
    const dir = mkdtempSync(path.join(tmpdir(), 'onspd-'));
    const file = path.join(dir, 'ONSPD_extract.csv');
    writeFileSync(
      file,
      [
        'pcd,pcds,dointr,doterm,oscty,lat,long,lsoa11,lsoa21',
        'CV379ZX,CV37 9ZX,20200101,,E10000031,52.300000,-1.719700,E01031234,E01035678',
        'CV379ZY,CV37 9ZY,19800101,201506,E10000031,52.310000,-1.719700,E01031234,E01035678',
        'CV379ZW,CV37 9ZW,19800101,,E10000031,99.999999,0.000000,,',
        'NOTAPC,not a postcode,19800101,,E10000031,52.3,-1.7,,',
      ].join('\n') + '\n',
    );
    try {
      const run = spawnSync(process.execPath, ['scripts/postcodes.mjs', file], { env: process.env, encoding: 'utf8' });
      expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.stdout).toContain('Loaded 1 postcodes (1 terminated skipped, 2 rejected) of 4 rows');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { rows } = await s.prisma.sql.query('SELECT pcds, district, lsoa11, lsoa21 FROM postcode WHERE postcode = ANY($1::text[])', [
      ['CV379ZX', 'CV379ZY', 'CV379ZW'],
    ]);
    expect(rows).toEqual([{ pcds: 'CV37 9ZX', district: 'CV37', lsoa11: 'E01031234', lsoa21: 'E01035678' }]);

    const ref = await openReferral(s, c, { specialtyCode: '404', patient: { postcode: 'cv37 9zx' } });
    await waitForStatus(s, c.clinRLQ, ref.id, 'AWAITING_CLINICAL_REVIEW');
    const [offer] = (await getReferral(s, c.clerkRLQ, ref.id)).offers;
    const site = (await s.prisma.sql.query<{ latitude: number; longitude: number }>("SELECT latitude, longitude FROM site WHERE ods = 'RJC08'")).rows[0];
    const exact = distanceMiles({ latitude: 52.3, longitude: -1.7197 }, site);
    expect(exact).toBeGreaterThan(6);
    expect(offer).toMatchObject({ siteOds: 'RJC08', distanceMiles: exact, distance: { miles: exact, basis: 'postcode' } });
  });

  it('POST /v1/postcodes/loads streams the CSV in for a trust admin, and refuses another type, a file without the columns, and other roles', async () => {
    const csv = 'pcds,lat,long,doterm,lsoa21\nWR11 9ZZ,52.0900,-1.9500,,E01099999\n';
    const res = await s.http.post('/v1/postcodes/loads').set(bearer(c.adminRJC)).set('Content-Type', 'text/csv').send(csv);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ rows: 1, loaded: 1, terminated: 0, rejected: 0, districts: 1, problems: [] });
    const { rows } = await s.prisma.sql.query("SELECT lsoa21 FROM postcode WHERE postcode = 'WR119ZZ'");
    expect(rows).toEqual([{ lsoa21: 'E01099999' }]);

    const json = await s.http.post('/v1/postcodes/loads').set(bearer(c.adminRJC)).send({ pcds: 'WR11 9ZZ' });
    expect(json.status).toBe(415);
    expect(json.body.details[0].field).toBe('Content-Type');
    const noColumns = await s.http.post('/v1/postcodes/loads').set(bearer(c.adminRJC)).set('Content-Type', 'text/csv').send('postcode,x,y\nWR11 9ZZ,1,2\n');
    expect(noColumns.status).toBe(422);
    expect(noColumns.body.message).toContain('pcds, lat, long');
    expect((await s.http.post('/v1/postcodes/loads').set(bearer(c.clerkRJC)).set('Content-Type', 'text/csv').send(csv)).status).toBe(403);
  });
});

describe('the directory is kept by each trust, the group by its admins', () => {
  it("an admin of one trust cannot edit another trust's sites or services; their own they can, placed from the postcode tables", async () => {
    const theirs = await addService(c.adminRJC, 'RJC08', { treatmentFunction: '407', name: 'Hands (407)', procedures: ['T52-T54'] });
    const site = { name: 'Stratford Hospital', address: 'Arden Street, Stratford-upon-Avon', postcode: 'CV37 6NX', bookingPhone: '01632 960 208' };
    const other = await s.http.put('/v1/directory/sites/RJC08').set(bearer(c.adminRLQ)).send(site);
    expect(other.status).toBe(403);
    expect(other.body.message).toContain('RJC');
    expect(
      (await s.http.post('/v1/directory/sites/RJC08/services').set(bearer(c.adminRLQ)).send({ treatmentFunction: '407', name: 'x', procedures: [] })).status,
    ).toBe(403);
    expect(
      (await s.http.put(`/v1/directory/services/${theirs}`).set(bearer(c.adminRLQ)).send({ treatmentFunction: '407', name: 'Mine now', procedures: [] }))
        .status,
    ).toBe(403);
    expect((await s.http.put('/v1/directory/sites/RJC08').set(bearer(c.clinRJC)).send(site)).status).toBe(403);

    const own = await s.http.put('/v1/directory/sites/RJC08').set(bearer(c.adminRJC)).send(site);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ ods: 'RJC08', trustOds: 'RJC', bookingPhone: '01632 960 208', postcode: 'CV37 6NX' });
    const nowhere = await s.http
      .put('/v1/directory/sites/RJC09')
      .set(bearer(c.adminRJC))
      .send({ ...site, postcode: 'TR21 0PW' });
    expect(nowhere.status).toBe(422);
    expect(nowhere.body.details[0].field).toBe('postcode');
    const badRange = await s.http
      .put(`/v1/directory/services/${theirs}`)
      .set(bearer(c.adminRJC))
      .send({ treatmentFunction: '407', name: 'Hands (407)', procedures: ['T54-T52'] });
    expect(badRange.status).toBe(422);
    expect(badRange.body.details[0].field).toBe('procedures[0]');
    const changed = await s.http
      .put(`/v1/directory/services/${theirs}`)
      .set(bearer(c.adminRJC))
      .send({ treatmentFunction: '407', name: 'Hands (407)', procedures: ['T52-T54'], maxAsaGrade: 2, bookingGuidance: 'Day case.' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      exclusions: { maxBmi: null, maxAsaGrade: 2, minAgeYears: null },
      bookingGuidance: 'Day case.',
      updatedBy: 'admin-rjc',
    });

    const listed = await s.http.get('/v1/directory/sites?ods=RJC').set(bearer(c.clerkRLQ));
    expect(listed.status).toBe(200);
    const stratford = listed.body.items.find((x: { ods: string }) => x.ods === 'RJC08');
    expect(stratford.services.map((v: { name: string }) => v.name)).toContain('Hands (407)');
    const { rows } = await s.prisma.sql.query(
      "SELECT action, outcome FROM audit_event WHERE actor_sub = 'admin-rjc' AND action = 'directory.write' AND outcome = 200 LIMIT 1",
    );
    expect(rows).toHaveLength(1);
  });

  it('a group admin adds a trust, which can then take part: its capacity is offered to the group', async () => {
    const groupAdmin = await token({ role: 'group_admin', ods: 'RLQ', sub: 'group-admin-rlq' });
    const body = {
      ods: 'RWP',
      name: 'Worcestershire Acute Hospitals NHS Trust',
      bookingPhone: '01632 960 404',
      mainSite: { ods: 'RWP01', name: 'Worcestershire Royal Hospital', address: 'Charles Hastings Way, Worcester', postcode: 'WR5 1DD' },
    };
    expect((await s.http.post('/v1/group/trusts').set(bearer(c.adminRLQ)).send(body)).status).toBe(403);
    const added = await s.http.post('/v1/group/trusts').set(bearer(groupAdmin)).send(body);
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ ods: 'RWP', name: 'Worcestershire Acute Hospitals NHS Trust', groupId: 'foundation', mainSiteOds: 'RWP01' });
    expect((await s.http.post('/v1/group/trusts').set(bearer(groupAdmin)).send(body)).status).toBe(409);
    const group = await s.http.get('/v1/group').set(bearer(c.clerkRLQ));
    expect(group.body.members.map((m: { ods: string }) => m.ods)).toEqual(expect.arrayContaining(['RJC', 'RLQ', 'RLT', 'RWP']));

    const rwpAdmin = await token({ role: 'trust_admin', ods: 'RWP', sub: 'admin-rwp' });
    await declare(rwpAdmin, 'RWP', '405', fourWeeks());
    const ref = await screened({ specialtyCode: '405' });
    const view = await getReferral(s, c.clerkRLQ, ref.id);
    expect(view.offers).toEqual([expect.objectContaining({ receivingOds: 'RWP', siteOds: 'RWP01', siteName: 'Worcestershire Royal Hospital' })]);
  });

  it('a trust in no group is offered nothing and offers nothing', async () => {
    await s.prisma.sql.query(
      `INSERT INTO trust (ods, name, main_site_ods) VALUES ('RXX', 'Outside Trust', 'RXX01') ON CONFLICT DO NOTHING;
       INSERT INTO site (ods, trust_ods, name, postcode, latitude, longitude) VALUES ('RXX01', 'RXX', 'Outside Hospital', 'HR1 2ER', 52.06, -2.71) ON CONFLICT DO NOTHING`,
    );
    const outsider = await token({ role: 'trust_admin', ods: 'RXX', sub: 'admin-rxx' });
    await declare(outsider, 'RXX', '408', fourWeeks());
    const ref = await openReferral(s, c, { specialtyCode: '408' });
    // No group member has capacity for 408: screening finds none, and the referral is not eligible.
    const closed = await waitForStatus(s, c.clinRLQ, ref.id, 'NOT_ELIGIBLE');
    expect(closed.offers).toEqual([]);
  });
});
