import type { ClientBase } from 'pg';
export function loadImd(client: ClientBase, file: string): Promise<{ loaded: number; edition: string }>;
