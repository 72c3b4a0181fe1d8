// `npm run messages [-- --limit 20]`: what the local notification channel "sent", newest first, with
// each message's text and offer link, from DATABASE_URL or the database `npm start` uses.
import { parseArgs } from 'node:util';
import { requireRuntime } from './lib/runtime.mjs';
import { ensureServices } from './lib/local-services.mjs';

requireRuntime();

const usage = 'Usage: npm run messages [-- --limit N]   (N from 1 to 500; default 10)\n';
let values;
try {
  ({ values } = parseArgs({ options: { limit: { type: 'string', short: 'n', default: '10' }, help: { type: 'boolean', short: 'h' } } }));
} catch (e) {
  process.stderr.write(`${e.message}\n${usage}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const limit = Number(values.limit);
if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
  process.stderr.write(`--limit must be a whole number from 1 to 500 (got "${values.limit}")\n${usage}`);
  process.exit(2);
}

// Only the database: reading messages needs no Redis.
const services = await ensureServices('dev', { database: 'crosstrust', redis: false });
const { default: pg } = await import('pg');
const client = new pg.Client({ connectionString: services.databaseUrl });
let code = 0;
try {
  await client.connect();
  const { rows } = await client.query(
    `SELECT notification_id, event, channel, recipient, subject, body, link, kept_at FROM local_message_text ORDER BY seq DESC LIMIT $1`,
    [limit],
  );
  process.stdout.write(render(rows));
} catch (e) {
  // 42P01: no such table, a database the migrations have not reached yet.
  process.stderr.write(
    e.code === '42P01' ? 'No local_message_text table here: run `npm start` (or `npm run db:migrate`) first.\n' : `Could not read the messages: ${e.message}\n`,
  );
  code = 1;
} finally {
  await client.end().catch(() => {});
  await services.stop();
}
process.exit(code);

function render(rows) {
  if (rows.length === 0) {
    return (
      'No messages kept. The local channel keeps the text of messages when NOTIFY_API_KEY is unset and NODE_ENV is not production ' +
      '(the newest LOCAL_MESSAGES_KEPT, 500 by default): walk a referral to its offer with `npm start` running, then look again.\n'
    );
  }
  const out = [];
  for (const m of rows) {
    out.push(`${'-'.repeat(78)}`);
    out.push(`${m.kept_at.toISOString()}  ${m.event} by ${m.channel}${m.recipient ? ` to ${m.recipient}` : ''}  (notification ${m.notification_id})`);
    out.push(`Subject: ${m.subject}`);
    out.push('');
    out.push(m.body);
    if (m.link) {
      out.push('');
      out.push(`Offer link: ${m.link}`);
    }
  }
  out.push(`${'-'.repeat(78)}`);
  out.push(`${rows.length} message${rows.length === 1 ? '' : 's'}, newest first (--limit ${limit}).`);
  return `${out.join('\n')}\n`;
}
