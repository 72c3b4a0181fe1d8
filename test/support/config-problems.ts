// What the configuration specs share: the two variables every configuration needs, and the problems
// loadConfig reports for a few more (none when it loads).
import { loadConfig, type ConfigError } from '../../libs/config/src/app-config.js';

/** The least a configuration needs to load. */
export const baseEnv = { DATABASE_URL: 'postgres://unused', REDIS_URL: 'redis://unused' };

/** The problems loadConfig names for `baseEnv` with `extra`; none when it loads. */
export function configProblems(extra: Record<string, string>): string[] {
  try {
    loadConfig({ ...baseEnv, ...extra });
    return [];
  } catch (e) {
    return (e as ConfigError).problems;
  }
}
