// The pure parts of the MESH module: the NHSMESH Authorization header, acknowledgements, and what each dispatch says.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { meshAuthorization } from './mesh-api-mailbox.js';
import { acknowledgementBody, parseAcknowledgement } from './acknowledgements.js';
import { dischargeDocument, renderDispatch } from './documents.js';

describe('the NHSMESH Authorization header', () => {
  it('is mailbox:nonce:0:yyyyMMddHHmm:HMAC-SHA256(shared key, mailbox:nonce:0:password:timestamp), UTC', () => {
    const at = new Date('2020-05-04T13:05:59Z');
    const header = meshAuthorization('X26HC001', 'secret', 'shared', at, 'nonce-1');
    const hmac = createHmac('sha256', 'shared').update('X26HC001:nonce-1:0:secret:202005041305').digest('hex');
    expect(header).toBe(`NHSMESH X26HC001:nonce-1:0:202005041305:${hmac}`);
    // A fresh nonce each time unless given.
    expect(meshAuthorization('X26HC001', 'secret', 'shared', at)).not.toBe(meshAuthorization('X26HC001', 'secret', 'shared', at));
  });
});

describe('business acknowledgements', () => {
  it('round-trip, and anything else is not one', () => {
    expect(parseAcknowledgement(acknowledgementBody({ messageId: 'M1', localId: null, outcome: 'rejected', reason: 'unknown pathway' }))).toEqual({
      messageId: 'M1',
      localId: null,
      outcome: 'rejected',
      reason: 'unknown pathway',
    });
    for (const body of ['not json', '{}', '{"acknowledgement":{"outcome":"accepted"}}', '{"acknowledgement":{"messageId":"M1","outcome":"maybe"}}'])
      expect(parseAcknowledgement(Buffer.from(body))).toBeNull();
  });
});

describe('what a dispatch says', () => {
  const id = '0b5a3c1e-8a4e-4c55-9d0a-2f6f5b7a9e10';

  it('sends the data sets as JSON named by their data set', async () => {
    const r = await renderDispatch('TRANSFER', id, { pathwayId: 'P1', rttStatus: '21' });
    expect(r.contentType).toBe('application/json');
    expect(JSON.parse(r.body.toString('utf8'))).toEqual({ dataSet: 'IPT-AMDS', id, pathwayId: 'P1', rttStatus: '21' });
  });

  it('makes the discharge summary a FHIR document whose references all resolve, with the PDF inside', async () => {
    const bundle = (await dischargeDocument(id, {
      nhsNumber: '9990000018',
      treatingOds: 'RJC',
      procedureCode: 'W371',
      rttClockStop: '2026-12-01',
      summary: 'Recovered <well> & home',
      gpPracticeOds: 'M81001',
    })) as { type: string; entry: Array<{ fullUrl: string; resource: Record<string, unknown> }> };
    expect(bundle.type).toBe('document');
    expect(bundle.entry[0].resource.resourceType).toBe('Composition');
    const urls = new Set(bundle.entry.map((e) => e.fullUrl));
    const refs = JSON.stringify(bundle)
      .match(/"reference":"([^"]+)"/g)!
      .map((r) => r.slice(13, -1));
    expect(refs.length).toBeGreaterThan(5);
    for (const r of refs) expect(urls).toContain(r);
    expect(JSON.stringify(bundle)).toContain('Recovered &lt;well&gt; &amp; home');
    const doc = bundle.entry.find((e) => e.resource.resourceType === 'DocumentReference')!.resource as { content: Array<{ attachment: { data: string } }> };
    expect(Buffer.from(doc.content[0].attachment.data, 'base64').subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });
});
