// The redaction every exported span goes through: the offer-link token, query strings and the caller's address and browser.
import { describe, expect, it } from '@jest/globals';
import { SpanKind, type Span } from '@opentelemetry/api';
import { InMemorySpanExporter, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { RedactingSpanExporter, redactAttributes, redactSpan, redactText } from './span-redaction.js';

const TOKEN = 'Pm-34DsaQT-zgjdZbqFufA.bOorkv_Na3BdDwYLGq2Srg';

/** A span as the SDK makes it, ended, to redact. */
function ended(name: string, kind: SpanKind, attributes: Record<string, unknown>, more?: (s: Span) => void): ReadableSpan {
  const span = new TracerProvider().getTracer('test').startSpan(name, { kind, attributes });
  more?.(span);
  span.end();
  return span as unknown as ReadableSpan;
}

describe('redactText', () => {
  it("replaces the offer link's token, whatever its shape, and leaves the page's assets and other paths alone", () => {
    expect(redactText(`/offer/${TOKEN}`)).toBe('/offer/:token');
    expect(redactText(`/offer/${TOKEN}/choose`)).toBe('/offer/:token/choose');
    expect(redactText(`https://crosstrust.example.nhs.uk/offer/${TOKEN}?x=1`)).toBe('https://crosstrust.example.nhs.uk/offer/:token?x=1');
    expect(redactText('/offer/not-even-a-token')).toBe('/offer/:token');
    expect(redactText('/offer/assets/nhsuk-frontend.min.css')).toBe('/offer/assets/nhsuk-frontend.min.css');
    expect(redactText('/v1/referrals/0f96d14b-0fc4-4054-b95b-5d9be395007c')).toBe('/v1/referrals/0f96d14b-0fc4-4054-b95b-5d9be395007c');
  });
});

describe('redactAttributes', () => {
  it("on a server span: the token and the query go, and so do the caller's address and browser", () => {
    const attrs = {
      'http.request.method': 'GET',
      'url.path': `/offer/${TOKEN}`,
      'url.query': 'nhsNumber=9434765919',
      'http.target': `/offer/${TOKEN}?nhsNumber=9434765919`,
      'client.address': '203.0.113.7',
      'network.peer.address': '203.0.113.7',
      'user_agent.original': 'Mozilla/5.0 (iPhone)',
      'http.response.status_code': 200,
    };
    expect(redactAttributes(attrs, SpanKind.SERVER)).toEqual({
      'http.request.method': 'GET',
      'url.path': '/offer/:token',
      'http.target': '/offer/:token',
      'http.response.status_code': 200,
    });
    // The span's own attributes are not changed: a copy goes out.
    expect(attrs['url.path']).toBe(`/offer/${TOKEN}`);
  });

  it("on a client span the server's address stays, the query goes, and tokens go at any depth", () => {
    expect(
      redactAttributes(
        {
          'url.full': 'https://api.notifications.service.gov.uk/v2/notifications?reference=3c1d',
          'server.address': 'api.notifications.service.gov.uk',
          'crosstrust.links': [`/offer/${TOKEN}`, 'other'],
          'crosstrust.detail': { link: `https://x.example/offer/${TOKEN}`, n: 1 },
        },
        SpanKind.CLIENT,
      ),
    ).toEqual({
      'url.full': 'https://api.notifications.service.gov.uk/v2/notifications',
      'server.address': 'api.notifications.service.gov.uk',
      'crosstrust.links': ['/offer/:token', 'other'],
      'crosstrust.detail': { link: 'https://x.example/offer/:token', n: 1 },
    });
  });

  it('returns the very same object when nothing needs changing (no copy on the common path)', () => {
    const attrs = { 'db.query.text': 'SELECT 1 FROM referral WHERE id = $1::uuid', 'server.port': 5432 };
    expect(redactAttributes(attrs, SpanKind.CLIENT)).toBe(attrs);
  });
});

describe('redactSpan and the exporter', () => {
  it('passes a clean span through as it is', () => {
    const span = ended('pg.query:SELECT', SpanKind.CLIENT, { 'db.query.text': 'SELECT 1' });
    expect(redactSpan(span)).toBe(span);
  });

  it('hands the exporter a copy with the token out of the name, attributes, events and status, ids and times kept', async () => {
    const span = ended(`GET /offer/${TOKEN}`, SpanKind.SERVER, { 'url.path': `/offer/${TOKEN}` }, (s) => {
      s.addEvent(`redirect to /offer/${TOKEN}/choose`, { location: `/offer/${TOKEN}/choose` });
      s.setStatus({ code: 2, message: `failed at /offer/${TOKEN}` });
    });
    const inner = new InMemorySpanExporter();
    const exporter = new RedactingSpanExporter(inner);
    const result = await new Promise((resolve) => exporter.export([span], resolve));
    expect(result).toEqual({ code: 0 });
    const [out] = inner.getFinishedSpans();
    expect(out).not.toBe(span);
    expect(out.name).toBe('GET /offer/:token');
    expect(out.attributes).toEqual({ 'url.path': '/offer/:token' });
    expect(out.events.map((e) => [e.name, e.attributes])).toEqual([['redirect to /offer/:token/choose', { location: '/offer/:token/choose' }]]);
    expect(out.status).toEqual({ code: 2, message: 'failed at /offer/:token' });
    expect(out.spanContext()).toEqual(span.spanContext());
    expect([out.startTime, out.endTime, out.kind, out.resource, out.instrumentationScope]).toEqual([
      span.startTime,
      span.endTime,
      span.kind,
      span.resource,
      span.instrumentationScope,
    ]);
    expect(JSON.stringify([out.name, out.attributes, out.events, out.status])).not.toContain(TOKEN);
    await exporter.shutdown();
  });
});
