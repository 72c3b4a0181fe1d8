// `npm run token -- --role ROLE --ods ODS` (or --nhs-number N for a patient; --sub ID)
// prints a bearer token the local server accepts.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signDevToken } from './lib/dev-issuer.mjs';
import { root } from './lib/local-services.mjs';

const ROLES = ['clinician', 'booking_clerk', 'trust_admin', 'patient', 'integration'];
const { values } = parseArgs({
  options: {
    role: { type: 'string', multiple: true },
    ods: { type: 'string' },
    'nhs-number': { type: 'string' },
    sub: { type: 'string' },
    'expires-in': { type: 'string', default: '12h' },
  },
});
const fail = (msg) => {
  process.stderr.write(`${msg}\nUsage: npm run token -- --role clinician|booking_clerk|trust_admin|integration --ods RLQ\n       npm run token -- --role patient --nhs-number 9434765919\n`);
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
process.stdout.write(`${token}\n`);
