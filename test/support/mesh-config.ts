// The MESH client and its settings as the worker builds them, for suites that talk to the fake MESH server directly.
import { loadConfig } from '#config';
export { MailboxError, MeshApiMailbox } from '#workflow';

/** The validated `mesh` group from the suite's environment with these variables over it. */
export function loadConfigForMesh(vars: Record<string, string | undefined>) {
  return loadConfig({ ...process.env, ...vars }).mesh;
}
