// What leaves the process in a span, made safe on its way out: the patient's offer-link token
// never, query strings never, and nothing about the caller's device or address on a server span.
import { SpanKind, type Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace';

/**
 * `/offer/<token>` (and `/offer/<token>/choose`): the token is the patient's link, a credential,
 * whatever shape it has. The page's own stylesheet and images live under /offer/assets.
 */
const OFFER_TOKEN = /\/offer\/(?!assets(?:[/?#]|$))[^/?#\s"']+/g;

/** URL-bearing attributes of both HTTP conventions (old: http.*, stable: url.*): their query strings go. */
const URL_KEYS = new Set(['http.url', 'http.target', 'url.full', 'url.path', 'http.route', 'url.original']);
const QUERY_KEYS = new Set(['url.query']);

/**
 * On a server span these describe the caller (a patient's browser on the offer page): their
 * address and device. The logs keep neither; the traces do not either.
 */
const SERVER_CALLER_KEYS = new Set([
  'client.address',
  'client.port',
  'http.client_ip',
  'net.peer.ip',
  'net.peer.port',
  'net.sock.peer.addr',
  'net.sock.peer.port',
  'network.peer.address',
  'network.peer.port',
  'http.user_agent',
  'user_agent.original',
]);

/** `text` with every offer-link token replaced by `:token`. */
export function redactText(text: string): string {
  return text.includes('/offer/') ? text.replace(OFFER_TOKEN, '/offer/:token') : text;
}

/** Any attribute value (a string, or arrays and maps of values) with tokens taken out; the same value when it had none. */
function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) {
    const out = value.map(redactValue);
    return out.some((v, i) => v !== value[i]) ? out : value;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>);
    const out = entries.map(([k, v]) => [k, redactValue(v)] as const);
    return out.some(([, v], i) => v !== entries[i][1]) ? Object.fromEntries(out) : value;
  }
  return value;
}

/** The attributes as they may leave the process; the same object when nothing needed changing. */
export function redactAttributes(attributes: Attributes, kind: SpanKind): Attributes {
  let out: Attributes | null = null;
  for (const [key, value] of Object.entries(attributes)) {
    const drop = QUERY_KEYS.has(key) || (kind === SpanKind.SERVER && SERVER_CALLER_KEYS.has(key));
    let clean = drop ? undefined : redactValue(value);
    if (typeof clean === 'string' && URL_KEYS.has(key)) clean = clean.split('?')[0];
    if (clean !== value) {
      out ??= { ...attributes };
      if (clean === undefined) delete out[key];
      else out[key] = clean;
    }
  }
  return out ?? attributes;
}

function redactEvents(events: TimedEvent[]): TimedEvent[] {
  let changed = false;
  const out = events.map((e) => {
    const name = redactText(e.name);
    const attributes = e.attributes && redactAttributes(e.attributes, SpanKind.INTERNAL);
    if (name === e.name && attributes === e.attributes) return e;
    changed = true;
    return { ...e, name, attributes };
  });
  return changed ? out : events;
}

/** The span as it may leave the process: itself when nothing needed changing, else a copy. */
export function redactSpan(span: ReadableSpan): ReadableSpan {
  const name = redactText(span.name);
  const attributes = redactAttributes(span.attributes, span.kind);
  const events = redactEvents(span.events);
  const message = span.status.message === undefined ? undefined : redactText(span.status.message);
  if (name === span.name && attributes === span.attributes && events === span.events && message === span.status.message) return span;
  return {
    name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { ...span.status, message },
    attributes,
    links: span.links,
    events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/**
 * Redacts every span just before export, whichever instrumentation made it and whenever an
 * attribute was set (a hook at span start would miss what is added later). It runs in the batch
 * processor's timer, off the request's path.
 */
export class RedactingSpanExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(redactSpan), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
