// Types for local-services.mjs, used by the TypeScript fault suite.
export declare const root: string;
export declare function log(msg: string): void;
export declare function freePort(): Promise<number>;
export interface PgInfo { port: number; user: string; password: string; stop(): Promise<void> }
export declare function startPostgres(dir: string, opts?: { port?: number; durable?: boolean }): Promise<PgInfo>;
export declare function ensureDatabase(pg: PgInfo, name: string, opts?: { recreate?: boolean }): Promise<string>;
export declare function dropDatabase(pg: PgInfo, name: string): Promise<void>;
export declare function startRedis(dir: string, opts?: { port?: number }): Promise<{ port: number; stop(): Promise<void> }>;
export declare function prisma(args: string[], env?: Record<string, string | undefined>): string;
export declare function ensureServices(profile: string, opts?: { database?: string; recreateDatabase?: boolean; redis?: boolean }): Promise<{ databaseUrl: string; redisUrl: string; pgInfo: PgInfo | null; stop(): Promise<void> }>;
