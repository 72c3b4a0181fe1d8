// Environment configuration: one schema, validated at boot, with a message naming each bad variable.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isUuid } from '#domain';

/**
 * The environment, validated once at boot, in groups: a module takes only its part (the Notify
 * channel `config.notify`, Redis connections `config.redis`...). README's configuration table names
 * each variable.
 */
export interface AppConfig {
  readonly nodeEnv: 'development' | 'test' | 'production';
  readonly logLevel: string;
  readonly http: {
    readonly port: number;
    /** Largest JSON body in bytes (BODY_LIMIT, written as 100kb, 1mb or a number of bytes); larger: 413. */
    readonly bodyLimit: number;
    /** How long the body of any request but an upload may take to arrive (HTTP_REQUEST_TIMEOUT_MS); then 408. */
    readonly requestTimeoutMs: number;
    readonly rateLimitPerMinute: number;
    /** Requests a minute per client address without a valid token, and on the public pages and Notify callback (PUBLIC_RATE_LIMIT_PER_MINUTE). */
    readonly publicRateLimitPerMinute: number;
    /** Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES): addresses and CIDR ranges; empty: the socket's address only. */
    readonly trustedProxies: readonly string[];
    /** Where patients reach the API's public pages (PUBLIC_BASE_URL), no trailing slash. */
    readonly publicBaseUrl: string;
  };
  readonly database: { readonly url: string; readonly poolSize: number };
  readonly redis: {
    readonly url: string;
    /** Redis Cluster seed nodes (REDIS_CLUSTER_NODES); null: one Redis at REDIS_URL. */
    readonly clusterNodes: readonly { readonly host: string; readonly port: number }[] | null;
    readonly queuePrefix: string;
  };
  readonly auth: {
    readonly mode: 'dev' | 'oidc';
    readonly devKeyFile: string;
    readonly jwksUrl: string | null;
    readonly issuer: string;
    readonly audience: string;
    /** Longest a staff or integration token may be valid, `exp - iat` in seconds (AUTH_STAFF_TOKEN_MAX_SECONDS): a CIS2 session's 12 hours. */
    readonly staffTokenMaxSeconds: number;
    /** Longest a patient token may be valid, in seconds (AUTH_PATIENT_TOKEN_MAX_SECONDS): NHS login's tokens last an hour. */
    readonly patientTokenMaxSeconds: number;
  };
  /** The staff console's sign-in (OpenID Connect, code flow with PKCE) and sessions; null: no console sign-in configured. */
  readonly console: {
    /** The identity provider (OIDC_ISSUER_URL): NHS CIS2 in production, the local provider under `npm start`. */
    readonly issuerUrl: string;
    readonly clientId: string;
    readonly clientSecret: string;
    /** Claim names in the ID token (CIS2's are configurable): the person's name, their roles, their organisation's ODS code. */
    readonly claims: { readonly name: string; readonly roles: string; readonly ods: string };
    /** Encrypts the session cookie (CONSOLE_SESSION_SECRET, 32 characters at least). */
    readonly sessionSecret: string;
    /** Signed out after this long without a request (CONSOLE_IDLE_MINUTES, 30 by default). */
    readonly idleMinutes: number;
    /** Signed out this long after signing in, however busy (CONSOLE_ABSOLUTE_HOURS, 12 by default: a CIS2 session). */
    readonly absoluteHours: number;
  } | null;
  readonly workflow: {
    readonly screeningThresholdWeeks: number;
    /** Signs the patient's offer links (OFFER_LINK_SECRET); a dev default outside production. */
    readonly offerLinkSecret: string;
    /** Largest attachment (referral letter, clinic letter, imaging report) in bytes (ATTACHMENT_MAX_BYTES, 20 MB by default); larger: 413. */
    readonly attachmentMaxBytes: number;
    /** How long after a decline or a cancellation the referring trust may still re-open it to offer again (REOFFER_WINDOW_DAYS, 90 by default). */
    readonly reofferWindowDays: number;
  };
  readonly worker: {
    readonly outboxPollMs: number;
    /**
     * Whether the process that commits a change enqueues its jobs itself, straight after the commit
     * (OUTBOX_DIRECT_ENQUEUE, false by default: docs/benchmarks.md); false leaves every job to the outbox relay.
     */
    readonly outboxDirectEnqueue: boolean;
    readonly concurrency: number;
    /** How often the reconciler looks for steps enqueued but never run. */
    readonly reconcileIntervalMs: number;
    /** How long a dispatched step may go unfinished before the reconciler checks on its job. */
    readonly reconcileGraceMs: number;
    /** How often the worker's reminder sweep runs (REMINDER_SWEEP_MS): offer and appointment reminders, staff emails. */
    readonly reminderSweepMs: number;
    /** At most one staff worklist email per team per this long (STAFF_EMAIL_BATCH_MS); items wait for the next. */
    readonly staffEmailBatchMs: number;
  };
  readonly metrics: {
    /** Bearer token Prometheus sends to /metrics (api and worker); null: the api serves no /metrics. */
    readonly token: string | null;
    /** The worker's metrics and health port; null: no server. 0: any free port (tests). */
    readonly port: number | null;
    /** The address the worker's metrics server listens on. */
    readonly host: string;
  };
  readonly waitingList: {
    /** Largest CSV upload, in bytes (WAITING_LIST_MAX_BYTES); larger: 413. */
    readonly maxBytes: number;
    /** Rows an import applies per transaction at most (WAITING_LIST_BATCH_ROWS). */
    readonly batchRows: number;
    /** Staged bytes an import applies per transaction at most (WAITING_LIST_BATCH_BYTES); one row always goes. */
    readonly batchBytes: number;
    /** Most data rows one upload may have (WAITING_LIST_MAX_ROWS); more: 413. */
    readonly maxRows: number;
    /** Longest row of an upload, in characters (WAITING_LIST_MAX_ROW_CHARS); longer: 413. */
    readonly maxRowChars: number;
    /** How many times its size a gzip upload may expand to (WAITING_LIST_MAX_GZIP_RATIO); more: 413. */
    readonly maxGzipRatio: number;
    /** Uploads one trust may have in progress at once, across every API process (WAITING_LIST_UPLOADS_PER_TRUST); more: 429. */
    readonly uploadsPerTrust: number;
    /** How long an upload may send nothing while the server is ready to read (WAITING_LIST_IDLE_TIMEOUT_MS); then 408. */
    readonly idleTimeoutMs: number;
    /** How long a whole upload may take to arrive (WAITING_LIST_UPLOAD_TIMEOUT_MS); then 408. */
    readonly uploadTimeoutMs: number;
  };
  /** The insights pages and weekly report (docs/insights.md). */
  readonly insights: {
    /** The Chromium that prints the weekly report to PDF (INSIGHTS_CHROMIUM_PATH; Debian's /usr/bin/chromium by default). */
    readonly chromiumPath: string;
    /** How often a worker looks for trusts whose weekly report email is due (INSIGHTS_REPORT_CHECK_MS, an hour by default). */
    readonly reportCheckMs: number;
    /** The UK hour on Monday from which the week's report is sent (INSIGHTS_REPORT_HOUR, 7 by default). */
    readonly reportHour: number;
    /**
     * How often the worker computes the insights' figures into insight_figures (INSIGHTS_REFRESH_MS, 10
     * minutes by default; 0: only when a trust admin asks). The pages show the figures as at that time.
     */
    readonly refreshMs: number;
  };
  readonly notify: {
    /** GOV.UK Notify API key (NOTIFY_API_KEY); null: the local channel records messages instead. */
    readonly apiKey: string | null;
    /** GOV.UK Notify's API (NOTIFY_BASE_URL). */
    readonly baseUrl: string;
    /** Template ids by event and channel (NOTIFY_TEMPLATES JSON, or the JSON file NOTIFY_TEMPLATES_FILE). */
    readonly templates: Readonly<Record<string, Readonly<Record<string, string>>>>;
    /** Bearer token Notify sends with its delivery-status callbacks (NOTIFY_CALLBACK_TOKEN); null: callbacks refused. */
    readonly callbackToken: string | null;
    /** How long one request to Notify may take (NOTIFY_TIMEOUT_MS). */
    readonly timeoutMs: number;
    /** Sends per rateLimitDurationMs across all workers (NOTIFY_RATE_LIMIT_MAX; Notify allows 3,000 a minute). */
    readonly rateLimitMax: number;
    readonly rateLimitDurationMs: number;
    /** How often the worker asks Notify about notifications still sending (NOTIFY_POLL_INTERVAL_MS). */
    readonly pollIntervalMs: number;
    /** How long a notification may stay sending without a callback before the poll asks Notify (NOTIFY_POLL_AFTER_MS). */
    readonly pollAfterMs: number;
    /** No SMS in this window of UK time, minutes after midnight (SMS_QUIET_HOURS `21:00-08:00`, `off`: none). */
    readonly smsQuietHours: { readonly start: number; readonly end: number } | null;
    /**
     * How many of the local channel's messages keep their text and link for `npm run messages`
     * (LOCAL_MESSAGES_KEPT): the newest, 500 by default; 0: ids only. Always 0 in production.
     */
    readonly localMessagesKept: number;
  };
  /** MESH, the NHS message exchange the transfer data set and discharge summaries go through (docs/mesh.md). */
  readonly mesh: {
    /** The MESH API (MESH_URL); null: the local folder mailbox under localDir, which needs nothing external. */
    readonly url: string | null;
    /** Our mailbox (MESH_MAILBOX_ID), its password (MESH_PASSWORD) and the environment's shared key for the HMAC Authorization header (MESH_SHARED_KEY). */
    readonly mailboxId: string;
    readonly password: string;
    readonly sharedKey: string;
    /** The TLS client certificate, its key and the CA that signs MESH's certificate: file paths (MESH_TLS_CERT, MESH_TLS_KEY, MESH_TLS_CA). */
    readonly tls: { readonly cert: string | null; readonly key: string | null; readonly ca: string | null };
    /** The local folder mailbox's folder (MESH_LOCAL_DIR). */
    readonly localDir: string;
    /** How often the worker sends due dispatches (MESH_SEND_INTERVAL_MS). */
    readonly sendIntervalMs: number;
    /** How often the worker reads the inbox and tracks sent messages (MESH_POLL_INTERVAL_MS). */
    readonly pollIntervalMs: number;
    /** Failed sends before the sending team gets a task (MESH_SEND_ATTEMPTS); sending goes on after it, at the longest wait. */
    readonly sendAttempts: number;
    /** The first retry's wait, doubled each attempt (MESH_RETRY_BASE_MS), up to MESH_RETRY_MAX_MS. */
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    /** How long a sent message may go without its business acknowledgement before the sending team gets a task (MESH_ACK_TIMEOUT_MS). */
    readonly ackTimeoutMs: number;
    /** Largest chunk of a message (MESH_CHUNK_BYTES); larger messages go in chunks (MESH allows 100 MB a chunk). */
    readonly chunkBytes: number;
    /** How long one request to MESH may take (MESH_TIMEOUT_MS). */
    readonly timeoutMs: number;
    /**
     * How many messages a worker sends, reads or tracks at once (MESH_CONCURRENCY); one referral's
     * messages still go one after another, in the order they were queued.
     */
    readonly concurrency: number;
  };
  /** OpenTelemetry traces over OTLP (docs/traces.md); read before the app loads (libs/telemetry). */
  readonly tracing: {
    /** Where spans go (OTEL_EXPORTER_OTLP_ENDPOINT, or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); null: tracing off, no SDK started. */
    readonly endpoint: string | null;
    /** OTEL_SERVICE_NAME; null: crosstrust-api or crosstrust-worker, by process. */
    readonly serviceName: string | null;
    /** How long a finished span may wait to go in a batch, ms (OTEL_BSP_SCHEDULE_DELAY). */
    readonly batchDelayMs: number;
  };
}

/** Offer links signed with this are only good for local development (see offerLinkSecret). */
export const DEV_OFFER_LINK_SECRET = 'crosstrust-local-dev-offer-link-secret-not-for-production';

export const DEV_ISSUER = 'crosstrust-local-dev';
export const DEV_AUDIENCE = 'crosstrust';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** REDIS_CLUSTER_NODES: `host:port,host:port` (IPv6 as `[::1]:7000`); empty or unset: no cluster. */
function clusterNodes(raw: string | undefined, problems: string[]): { host: string; port: number }[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  const nodes: { host: string; port: number }[] = [];
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(item);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port < 1 || port > 65535) {
      problems.push(`REDIS_CLUSTER_NODES must be a comma-separated list of host:port (got "${item}")`);
      continue;
    }
    nodes.push({ host: m[1] ?? m[2], port });
  }
  return nodes.length ? nodes : null;
}

/** TRUSTED_PROXIES: `10.0.0.0/8, 192.168.1.10, fd00::/8`; empty or unset: none (X-Forwarded-For is never believed). */
function trustedProxies(raw: string | undefined, problems: string[]): string[] {
  const out: string[] = [];
  for (const item of (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address, prefix, extra] = item.split('/');
    const family = isIP(address ?? '');
    const bits = prefix === undefined ? null : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (!family || extra !== undefined || (bits !== null && !(bits >= 0 && bits <= (family === 4 ? 32 : 128)))) {
      problems.push(`TRUSTED_PROXIES must be a comma-separated list of IP addresses and CIDR ranges, e.g. 10.0.0.0/8 (got "${item}")`);
      continue;
    }
    out.push(item);
  }
  return out;
}

function hostPort(n: { host: string; port: number }): string {
  return n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`;
}

const NOTIFY_KEY =
  /^[A-Za-z0-9_.-]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * The OpenTelemetry settings crosstrust reads (the exporter itself reads the rest of the standard
 * OTEL_EXPORTER_OTLP_* variables: headers, timeout, compression, certificates).
 */
function tracingConfig(env: Env, problems: string[], int: (name: string, fallback: number, min: number, max: number) => number): AppConfig['tracing'] {
  const disabled = trueOrFalse(env, 'OTEL_SDK_DISABLED', false, problems);
  let endpoint: string | null = null;
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    const v = env[name]?.trim();
    if (!v) continue;
    try {
      if (!['http:', 'https:'].includes(new URL(v).protocol)) problems.push(`${name} must be an http(s) URL (OTLP over HTTP)`);
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    endpoint ??= v;
  }
  // Only the protobuf exporter is installed: a collector told to expect gRPC or JSON would get
  // requests it cannot read, and nobody would know until they looked for a trace.
  for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) {
    const v = env[name]?.trim();
    if (v && v !== 'http/protobuf') problems.push(`${name} must be http/protobuf, the only OTLP protocol crosstrust sends (got "${v}")`);
  }
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || null;
  return {
    endpoint: disabled ? null : endpoint,
    serviceName,
    batchDelayMs: int('OTEL_BSP_SCHEDULE_DELAY', 5_000, 10, 600_000),
  };
}

/** A setting that is `true` or `false` (any case; unset or empty: `fallback`). */
function trueOrFalse(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '') return fallback;
  if (v === 'true' || v === 'false') return v === 'true';
  problems.push(`${name} must be true or false (got "${env[name]}")`);
  return fallback;
}

/** The GOV.UK Notify settings (see the README's configuration table). */
function notifyConfig(env: Env, problems: string[], int: (name: string, fallback: number, min: number, max: number) => number, nodeEnv: AppConfig['nodeEnv']) {
  const notifyApiKey = env.NOTIFY_API_KEY || null;
  if (notifyApiKey !== null && !NOTIFY_KEY.test(notifyApiKey))
    problems.push('NOTIFY_API_KEY must be a GOV.UK Notify API key: {key name}-{service id}-{secret id}');
  const notifyBaseUrl = env.NOTIFY_BASE_URL || 'https://api.notifications.service.gov.uk';
  try {
    if (!['https:', 'http:'].includes(new URL(notifyBaseUrl).protocol)) problems.push('NOTIFY_BASE_URL must be an http(s) URL');
  } catch {
    problems.push('NOTIFY_BASE_URL is not a valid URL');
  }
  let notifyTemplates: Record<string, Record<string, string>> = {};
  const source = env.NOTIFY_TEMPLATES ? 'NOTIFY_TEMPLATES' : env.NOTIFY_TEMPLATES_FILE ? 'NOTIFY_TEMPLATES_FILE' : null;
  if (source) {
    try {
      const raw = source === 'NOTIFY_TEMPLATES' ? env.NOTIFY_TEMPLATES! : readFileSync(env.NOTIFY_TEMPLATES_FILE!, 'utf8');
      const parsed: unknown = JSON.parse(raw);
      const ok =
        typeof parsed === 'object' &&
        parsed !== null &&
        !Array.isArray(parsed) &&
        Object.values(parsed).every(
          (byChannel) =>
            typeof byChannel === 'object' && byChannel !== null && !Array.isArray(byChannel) && Object.values(byChannel as object).every((id) => isUuid(id)),
        );
      if (ok) notifyTemplates = parsed as Record<string, Record<string, string>>;
      else problems.push(`${source} must be JSON {"<event>": {"email": "<template id>", "sms": "<template id>", "letter": "<template id>"}, ...}`);
    } catch (e) {
      problems.push(`${source} could not be read as JSON (${(e as Error).message.slice(0, 120)})`);
    }
  } else if (notifyApiKey) {
    problems.push('NOTIFY_TEMPLATES or NOTIFY_TEMPLATES_FILE is required with NOTIFY_API_KEY');
  }
  const notifyCallbackToken = env.NOTIFY_CALLBACK_TOKEN || null;
  if (notifyCallbackToken !== null && (notifyCallbackToken.length < 16 || /\s/.test(notifyCallbackToken)))
    problems.push('NOTIFY_CALLBACK_TOKEN must be at least 16 characters with no spaces');
  const quietRaw = env.SMS_QUIET_HOURS || '21:00-08:00';
  let smsQuietHours: { start: number; end: number } | null = null;
  if (quietRaw !== 'off') {
    const [a, b] = quietRaw.split('-');
    const ma = HHMM.exec(a ?? ''),
      mb = HHMM.exec(b ?? '');
    if (!ma || !mb || a === b) problems.push(`SMS_QUIET_HOURS must be HH:MM-HH:MM in UK time, or off (got "${quietRaw}")`);
    else smsQuietHours = { start: Number(ma[1]) * 60 + Number(ma[2]), end: Number(mb[1]) * 60 + Number(mb[2]) };
  }
  // The kept text is what patients were told, names and links included: a developer's aid that a
  // production database must never gather.
  const localMessagesKept = int('LOCAL_MESSAGES_KEPT', nodeEnv === 'production' ? 0 : 500, 0, 100_000);
  if (nodeEnv === 'production' && localMessagesKept > 0)
    problems.push("LOCAL_MESSAGES_KEPT must be 0 when NODE_ENV=production (the text of patients' messages is kept for development only)");
  return {
    apiKey: notifyApiKey,
    baseUrl: notifyBaseUrl.replace(/\/+$/, ''),
    templates: notifyTemplates,
    callbackToken: notifyCallbackToken,
    timeoutMs: int('NOTIFY_TIMEOUT_MS', 10_000, 100, 120_000),
    rateLimitMax: int('NOTIFY_RATE_LIMIT_MAX', 3_000, 1, 100_000),
    rateLimitDurationMs: int('NOTIFY_RATE_LIMIT_DURATION_MS', 60_000, 100, 3_600_000),
    pollIntervalMs: int('NOTIFY_POLL_INTERVAL_MS', 300_000, 100, 86_400_000),
    pollAfterMs: int('NOTIFY_POLL_AFTER_MS', 900_000, 0, 7 * 86_400_000),
    smsQuietHours,
    localMessagesKept,
  };
}

/** The MESH settings (see the README's configuration table and docs/mesh.md). */
function meshConfig(env: Env, problems: string[], int: (name: string, fallback: number, min: number, max: number) => number, nodeEnv: AppConfig['nodeEnv']) {
  const url = env.MESH_URL?.trim() || null;
  if (url) {
    try {
      const protocol = new URL(url).protocol;
      // The MESH API is mutual TLS: plain HTTP would send the mailbox password's HMAC and patient documents in clear.
      if (nodeEnv === 'production' && protocol !== 'https:') problems.push('MESH_URL must be an https: URL when NODE_ENV=production');
      else if (!['https:', 'http:'].includes(protocol)) problems.push('MESH_URL must be an http(s) URL');
    } catch {
      problems.push('MESH_URL is not a valid URL');
    }
    for (const name of ['MESH_MAILBOX_ID', 'MESH_PASSWORD', 'MESH_SHARED_KEY']) if (!env[name]) problems.push(`${name} is required with MESH_URL`);
  }
  const mailboxId = env.MESH_MAILBOX_ID?.trim() || (url ? '' : 'CROSSTRUST');
  if (mailboxId && !/^[A-Za-z0-9_-]{1,20}$/.test(mailboxId))
    problems.push(`MESH_MAILBOX_ID must be a MESH mailbox id: letters, digits, _ or - (got "${mailboxId}")`);
  const file = (name: string): string | null => {
    const path = env[name]?.trim();
    if (!path) return null;
    try {
      readFileSync(path);
    } catch {
      problems.push(`${name} must name a readable file (got "${path}")`);
    }
    return path;
  };
  const tls = { cert: file('MESH_TLS_CERT'), key: file('MESH_TLS_KEY'), ca: file('MESH_TLS_CA') };
  if (!!tls.cert !== !!tls.key) problems.push('MESH_TLS_CERT and MESH_TLS_KEY go together (the client certificate and its private key)');
  if (url && nodeEnv === 'production' && !tls.cert)
    problems.push('MESH_TLS_CERT and MESH_TLS_KEY are required with MESH_URL when NODE_ENV=production (MESH authenticates the client certificate)');
  const retryBaseMs = int('MESH_RETRY_BASE_MS', 30_000, 10, 3_600_000);
  const retryMaxMs = int('MESH_RETRY_MAX_MS', 3_600_000, 10, 86_400_000);
  if (retryMaxMs < retryBaseMs) problems.push('MESH_RETRY_MAX_MS must be at least MESH_RETRY_BASE_MS');
  return {
    url: url?.replace(/\/+$/, '') ?? null,
    mailboxId,
    password: env.MESH_PASSWORD ?? '',
    sharedKey: env.MESH_SHARED_KEY ?? '',
    tls,
    localDir: env.MESH_LOCAL_DIR?.trim() || '.data/mesh',
    // The local mailbox is a folder: read it often, so `npm start` shows acknowledgements at once.
    sendIntervalMs: int('MESH_SEND_INTERVAL_MS', url ? 5_000 : 1_000, 10, 3_600_000),
    pollIntervalMs: int('MESH_POLL_INTERVAL_MS', url ? 300_000 : 2_000, 10, 3_600_000),
    sendAttempts: int('MESH_SEND_ATTEMPTS', 8, 1, 1_000),
    retryBaseMs,
    retryMaxMs,
    ackTimeoutMs: int('MESH_ACK_TIMEOUT_MS', 2 * 86_400_000, 10, 30 * 86_400_000),
    chunkBytes: int('MESH_CHUNK_BYTES', 20 * 1024 * 1024, 64, 100 * 1000 * 1000),
    timeoutMs: int('MESH_TIMEOUT_MS', 30_000, 100, 600_000),
    concurrency: int('MESH_CONCURRENCY', 4, 1, 64),
  };
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** A size as people write it (100kb, 1mb, 1.5mb, 102400: units of 1,024, as Express's body parser read them), in bytes. */
function byteSize(raw: string | undefined, name: string, fallback: number, problems: string[]): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  const bytes = m ? Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]) : NaN;
  if (!(bytes >= 1 && bytes <= UNITS.gb)) {
    problems.push(`${name} must be a size from 1 byte to 1gb, such as 100kb, 1mb or 102400 (got "${raw}")`);
    return fallback;
  }
  return bytes;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const str = (name: string, fallback?: string): string => {
    const v = env[name];
    if (v === undefined || v === '') {
      if (fallback === undefined) problems.push(`${name} is required`);
      return fallback ?? '';
    }
    return v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };
  const url = (name: string, protocols: string[]): string => {
    const v = str(name);
    if (v) {
      try {
        const u = new URL(v);
        if (!protocols.includes(u.protocol)) problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
      } catch {
        problems.push(`${name} is not a valid URL`);
      }
    }
    return v;
  };

  const nodeEnv = oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const authMode = oneOf('AUTH_MODE', ['dev', 'oidc'] as const, nodeEnv === 'production' ? 'oidc' : 'dev');
  if (nodeEnv === 'production' && authMode === 'dev') problems.push('AUTH_MODE=dev is refused when NODE_ENV=production');
  const jwks = env.AUTH_JWKS_URL || null;
  if (jwks) {
    let protocol = '';
    try {
      protocol = new URL(jwks).protocol;
    } catch {
      problems.push('AUTH_JWKS_URL is not a valid URL');
    }
    // Over plain HTTP anyone on the path can swap the keys and sign their own tokens.
    if (protocol && nodeEnv === 'production' && protocol !== 'https:') problems.push('AUTH_JWKS_URL must be an https: URL when NODE_ENV=production');
    else if (protocol && !['https:', 'http:'].includes(protocol)) problems.push('AUTH_JWKS_URL must be an http(s) URL');
  }
  if (authMode === 'oidc') {
    if (!jwks) problems.push('AUTH_JWKS_URL is required when AUTH_MODE=oidc');
    if (!env.AUTH_ISSUER) problems.push('AUTH_ISSUER is required when AUTH_MODE=oidc');
    if (!env.AUTH_AUDIENCE) problems.push('AUTH_AUDIENCE is required when AUTH_MODE=oidc');
  }
  const queuePrefix = str('QUEUE_PREFIX', '{crosstrust}');
  const redisClusterNodes = clusterNodes(env.REDIS_CLUSTER_NODES, problems);
  if (!/^\{[^{}]+\}/.test(queuePrefix)) {
    problems.push(
      redisClusterNodes
        ? `QUEUE_PREFIX must start with a {hash tag} when REDIS_CLUSTER_NODES is set: every key of a queue must hash to one cluster slot (got "${queuePrefix}", e.g. "{crosstrust}")`
        : 'QUEUE_PREFIX must start with a {hash tag} so Redis Cluster keeps a queue on one slot',
    );
  }

  const metricsToken = env.METRICS_TOKEN || null;
  if (metricsToken !== null && (metricsToken.length < 16 || /\s/.test(metricsToken)))
    problems.push('METRICS_TOKEN must be at least 16 characters with no spaces');
  const metricsPort = env.METRICS_PORT === undefined || env.METRICS_PORT === '' ? null : int('METRICS_PORT', 0, 0, 65535);
  if (nodeEnv === 'production' && metricsPort !== null && metricsToken === null)
    problems.push('METRICS_TOKEN is required with METRICS_PORT when NODE_ENV=production');

  const offerLinkSecret = env.OFFER_LINK_SECRET || (nodeEnv === 'production' ? '' : DEV_OFFER_LINK_SECRET);
  if (!offerLinkSecret) problems.push('OFFER_LINK_SECRET is required when NODE_ENV=production');
  else if (offerLinkSecret.length < 32) problems.push('OFFER_LINK_SECRET must be at least 32 characters');
  // The development secret is in this repository: anyone could sign offer links with it.
  else if (nodeEnv === 'production' && offerLinkSecret === DEV_OFFER_LINK_SECRET)
    problems.push('OFFER_LINK_SECRET must not be the development secret (it is published in the code) when NODE_ENV=production');
  const port = int('PORT', 3000, 0, 65535);
  const publicBaseUrl = (env.PUBLIC_BASE_URL ? url('PUBLIC_BASE_URL', ['http:', 'https:']) : `http://localhost:${port}`).replace(/\/+$/, '');
  // Every offer link in a message starts with it: in production a default of localhost would send
  // patients links that go nowhere (and the session cookie's Secure flag follows its scheme).
  if (nodeEnv === 'production' && !env.PUBLIC_BASE_URL)
    problems.push('PUBLIC_BASE_URL is required when NODE_ENV=production (the address patients open offer links at)');
  else if (nodeEnv === 'production' && !publicBaseUrl.startsWith('https:')) problems.push('PUBLIC_BASE_URL must be an https: URL when NODE_ENV=production');

  const consoleConfig = consoleSignIn(env, nodeEnv, problems, int, url);

  const config: AppConfig = {
    nodeEnv,
    logLevel: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    http: {
      port,
      bodyLimit: byteSize(env.BODY_LIMIT, 'BODY_LIMIT', 100 * 1024, problems),
      requestTimeoutMs: int('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
      rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
      publicRateLimitPerMinute: int('PUBLIC_RATE_LIMIT_PER_MINUTE', 120, 1, 1_000_000),
      trustedProxies: trustedProxies(env.TRUSTED_PROXIES, problems),
      publicBaseUrl,
    },
    database: { url: url('DATABASE_URL', ['postgresql:', 'postgres:']), poolSize: int('DB_POOL_SIZE', 10, 1, 500) },
    redis: {
      // With REDIS_CLUSTER_NODES, REDIS_URL is optional: only its credentials and TLS (rediss:) apply, to every node.
      url: redisClusterNodes && !env.REDIS_URL ? `redis://${hostPort(redisClusterNodes[0])}` : url('REDIS_URL', ['redis:', 'rediss:']),
      clusterNodes: redisClusterNodes,
      queuePrefix,
    },
    auth: {
      mode: authMode,
      devKeyFile: str('AUTH_DEV_KEY_FILE', '.data/dev-issuer.json'),
      jwksUrl: jwks,
      issuer: str('AUTH_ISSUER', DEV_ISSUER),
      audience: str('AUTH_AUDIENCE', DEV_AUDIENCE),
      staffTokenMaxSeconds: int('AUTH_STAFF_TOKEN_MAX_SECONDS', 12 * 3600, 60, 24 * 3600),
      patientTokenMaxSeconds: int('AUTH_PATIENT_TOKEN_MAX_SECONDS', 3600, 60, 24 * 3600),
    },
    console: consoleConfig,
    workflow: {
      screeningThresholdWeeks: int('SCREENING_THRESHOLD_WEEKS', 52, 0, 520),
      offerLinkSecret,
      attachmentMaxBytes: int('ATTACHMENT_MAX_BYTES', 20 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      reofferWindowDays: int('REOFFER_WINDOW_DAYS', 90, 1, 3650),
    },
    worker: {
      outboxPollMs: int('OUTBOX_POLL_MS', 1000, 10, 60_000),
      outboxDirectEnqueue: trueOrFalse(env, 'OUTBOX_DIRECT_ENQUEUE', false, problems),
      concurrency: int('WORKER_CONCURRENCY', 10, 1, 500),
      reconcileIntervalMs: int('RECONCILE_INTERVAL_MS', 15_000, 100, 3_600_000),
      reconcileGraceMs: int('RECONCILE_GRACE_MS', 60_000, 100, 86_400_000),
      reminderSweepMs: int('REMINDER_SWEEP_MS', 60_000, 50, 24 * 3_600_000),
      staffEmailBatchMs: int('STAFF_EMAIL_BATCH_MS', 5 * 60_000, 0, 24 * 3_600_000),
    },
    metrics: { token: metricsToken, port: metricsPort, host: str('METRICS_HOST', '0.0.0.0') },
    waitingList: {
      maxBytes: int('WAITING_LIST_MAX_BYTES', 500 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
      batchRows: int('WAITING_LIST_BATCH_ROWS', 5_000, 1, 50_000),
      batchBytes: int('WAITING_LIST_BATCH_BYTES', 8 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
      maxRows: int('WAITING_LIST_MAX_ROWS', 1_000_000, 1, 50_000_000),
      maxRowChars: int('WAITING_LIST_MAX_ROW_CHARS', 8_192, 256, 1024 * 1024),
      maxGzipRatio: int('WAITING_LIST_MAX_GZIP_RATIO', 100, 2, 10_000),
      uploadsPerTrust: int('WAITING_LIST_UPLOADS_PER_TRUST', 1, 1, 100),
      idleTimeoutMs: int('WAITING_LIST_IDLE_TIMEOUT_MS', 30_000, 100, 3_600_000),
      uploadTimeoutMs: int('WAITING_LIST_UPLOAD_TIMEOUT_MS', 3_600_000, 1_000, 24 * 3_600_000),
    },
    insights: {
      chromiumPath: str('INSIGHTS_CHROMIUM_PATH', '/usr/bin/chromium'),
      reportCheckMs: int('INSIGHTS_REPORT_CHECK_MS', 3_600_000, 50, 24 * 3_600_000),
      reportHour: int('INSIGHTS_REPORT_HOUR', 7, 0, 23),
      refreshMs: insightsRefreshMs(int, problems),
    },
    notify: notifyConfig(env, problems, int, nodeEnv),
    mesh: meshConfig(env, problems, int, nodeEnv),
    tracing: tracingConfig(env, problems, int),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** INSIGHTS_REFRESH_MS: 0 (on demand only) or a minute or more: a refresh at 1,000,000 referrals takes tens of seconds. */
function insightsRefreshMs(int: (name: string, fallback: number, min: number, max: number) => number, problems: string[]): number {
  const ms = int('INSIGHTS_REFRESH_MS', 600_000, 0, 24 * 3_600_000);
  if (ms > 0 && ms < 60_000) {
    problems.push(`INSIGHTS_REFRESH_MS must be 0 (refresh only when asked) or at least 60000 (a minute) (got "${ms}")`);
    return 600_000;
  }
  return ms;
}

/** A development-only session key, used when CONSOLE_SESSION_SECRET is unset outside production. */
const DEV_CONSOLE_SESSION_SECRET = 'crosstrust-development-console-session-secret-not-for-production';

function consoleSignIn(
  env: NodeJS.ProcessEnv,
  nodeEnv: AppConfig['nodeEnv'],
  problems: string[],
  int: (name: string, fallback: number, min: number, max: number) => number,
  url: (name: string, protocols: string[]) => string,
): AppConfig['console'] {
  // Optional: without it the API runs without the console's sign-in (the JSON API keeps its bearer tokens).
  if (!env.OIDC_ISSUER_URL) return null;
  const issuerUrl = url('OIDC_ISSUER_URL', nodeEnv === 'production' ? ['https:'] : ['https:', 'http:']);
  const clientId = env.OIDC_CLIENT_ID ?? '';
  const clientSecret = env.OIDC_CLIENT_SECRET ?? '';
  if (!clientId) problems.push('OIDC_CLIENT_ID is required with OIDC_ISSUER_URL');
  if (!clientSecret) problems.push('OIDC_CLIENT_SECRET is required with OIDC_ISSUER_URL');
  const sessionSecret = env.CONSOLE_SESSION_SECRET || (nodeEnv === 'production' ? '' : DEV_CONSOLE_SESSION_SECRET);
  if (!sessionSecret) problems.push('CONSOLE_SESSION_SECRET is required with OIDC_ISSUER_URL when NODE_ENV=production');
  else if (sessionSecret.length < 32) problems.push('CONSOLE_SESSION_SECRET must be at least 32 characters');
  else if (nodeEnv === 'production' && sessionSecret === DEV_CONSOLE_SESSION_SECRET)
    problems.push('CONSOLE_SESSION_SECRET must not be the development secret (it is published in the code) when NODE_ENV=production');
  return {
    issuerUrl,
    clientId,
    clientSecret,
    claims: { name: env.OIDC_NAME_CLAIM || 'name', roles: env.OIDC_ROLES_CLAIM || 'roles', ods: env.OIDC_ODS_CLAIM || 'ods' },
    sessionSecret,
    idleMinutes: int('CONSOLE_IDLE_MINUTES', 30, 1, 24 * 60),
    absoluteHours: int('CONSOLE_ABSOLUTE_HOURS', 12, 1, 24),
  };
}
