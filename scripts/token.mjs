// `npm run token -- --role ROLE --ods ODS` (or --nhs-number N for a patient; --sub ID; --expires-in
// 30m, at most the server's maximum) prints a bearer token the local server accepts.
import { requireRuntime } from './lib/runtime.mjs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signDevToken } from './lib/dev-issuer.mjs';
import { root } from './lib/local-services.mjs';

requireRuntime();

const ROLES = ['clinician', 'booking_clerk', 'trust_admin', 'patient', 'integration', 'additional_requirements_manager', 'group_admin'];
const { values } = parseArgs({
  options: {
    role: { type: 'string', multiple: true },
    ods: { type: 'string' },
    'nhs-number': { type: 'string' },
    sub: { type: 'string' },
    // Default: 12h for staff, 1h for a patient, the server's default maxima.
    'expires-in': { type: 'string' },
  },
});
const fail = (msg) => {
  process.stderr.write(
    `${msg}\nUsage: npm run token -- --role clinician|booking_clerk|trust_admin|integration|group_admin --ods RLQ\n       npm run token -- --role patient --nhs-number 9434765919\n`,
  );
  process.exit(2);
};
const roles = values.role ?? (values['nhs-number'] ? ['patient'] : []);
if (roles.length === 0) fail('Give a --role.');
for (const r of roles) if (!ROLES.includes(r)) fail(`Unknown role "${r}": one of ${ROLES.join(', ')}.`);
if (roles.includes('patient') && !values['nhs-number']) fail('A patient token needs --nhs-number.');
if (roles.some((r) => r !== 'patient') && !values.ods) fail('A staff or integration token needs --ods (e.g. RLQ, RJC, RLT).');
const file = path.resolve(root, process.env.AUTH_DEV_KEY_FILE || '.data/dev-issuer.json');
const token = await signDevToken(file, {
  roles,
  ods: values.ods?.toUpperCase(),
  nhsNumber: values['nhs-number'],
  sub: values.sub,
  expiresIn: values['expires-in'],
});
// The server refuses a token valid for longer than its maximum: say so here rather than hand one out.
const { iat, exp } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
const limits = [];
if (roles.some((r) => r !== 'patient')) limits.push(['AUTH_STAFF_TOKEN_MAX_SECONDS', Number(process.env.AUTH_STAFF_TOKEN_MAX_SECONDS || 12 * 3600)]);
if (roles.includes('patient')) limits.push(['AUTH_PATIENT_TOKEN_MAX_SECONDS', Number(process.env.AUTH_PATIENT_TOKEN_MAX_SECONDS || 3600)]);
const [maxName, max] = limits.reduce((a, b) => (b[1] < a[1] ? b : a));
if (exp - iat > max) fail(`--expires-in ${values['expires-in']} is longer than the server accepts (${maxName}: ${max} s).`);
process.stdout.write(`${token}\n`);
