// Prisma CLI configuration: the JavaScript schema engine over the pg driver adapter,
// which runs offline here (../shared/notes/toolchain.md says why each setting exists).
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

// The JS schema engine cannot deserialize pg's `name` (19) and `char` (18) columns
// (prisma/orm#27403); the CLI's catalogue queries return them, so read them as text.
const NAME_OID = 19;
const CHAR_OID = 18;
const TEXT_OID = 25;
const patched = Symbol.for('crosstrust.pgNameAsText');
const proto = pg.Client.prototype as unknown as Record<symbol | string, unknown>;
if (!proto[patched]) {
  proto[patched] = true;
  const fix = (r: { fields?: { dataTypeID: number }[] } | undefined) => {
    for (const f of r?.fields ?? []) if (f.dataTypeID === NAME_OID || f.dataTypeID === CHAR_OID) f.dataTypeID = TEXT_OID;
    return r;
  };
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: unknown }).query = function (this: unknown, ...args: unknown[]) {
    // pg-pool calls client.query(text, values, callback); the adapter awaits a promise.
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, res: never) => (last as (e: unknown, r: unknown) => void)(err, err ? res : fix(res));
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') return (result as Promise<never>).then(fix);
    return result;
  };
}

function connectionConfig(): pg.PoolConfig {
  const raw = process.env.DATABASE_URL;
  if (!raw) throw new Error('DATABASE_URL is not set: run prisma through `npm run db:migrate`, which starts a local Postgres');
  const url = new URL(raw);
  // Discrete fields, not a connectionString: with a string the shadow database
  // silently becomes the main one (P3006 on the second `migrate dev`).
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, ''),
    idleTimeoutMillis: 100,
  };
}

type Adapter = { executeScript(script: string): Promise<void>; underlyingDriver(): pg.Pool; onError(e: unknown): never };

// adapter-pg splits a migration on every ';', which breaks plpgsql bodies and runs
// the statements one by one. Send the script whole instead: Postgres runs a
// multi-statement simple query as one implicit transaction, so a migration either
// applies entirely or not at all.
function wholeScripts(factory: PrismaPg): PrismaPg {
  const wrap = (adapter: Adapter) => {
    adapter.executeScript = async (script: string) => {
      try {
        await adapter.underlyingDriver().query(script);
      } catch (e) {
        adapter.onError(e);
      }
    };
    return adapter;
  };
  const connect = factory.connect.bind(factory);
  const shadow = factory.connectToShadowDb.bind(factory);
  factory.connect = async () => wrap((await connect()) as unknown as Adapter) as never;
  factory.connectToShadowDb = async () => wrap((await shadow()) as unknown as Adapter) as never;
  return factory;
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => wholeScripts(new PrismaPg(connectionConfig())),
});
