// The insights settings: the figures refreshed every 10 minutes by default, 0 for only when a trust
// admin asks, and an interval shorter than a refresh at scale refused with the variable named.
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from './app-config.js';
import { baseEnv, configProblems } from '../../../test/support/config-problems.js';

describe('insights configuration', () => {
  it('refreshes the figures every 10 minutes by default, at the interval given, or only when asked (0)', () => {
    expect(loadConfig(baseEnv).insights.refreshMs).toBe(600_000);
    expect(loadConfig({ ...baseEnv, INSIGHTS_REFRESH_MS: '300000' }).insights.refreshMs).toBe(300_000);
    expect(loadConfig({ ...baseEnv, INSIGHTS_REFRESH_MS: '0' }).insights.refreshMs).toBe(0);
  });

  it('refuses an interval under a minute, or not a whole number, naming the variable among the others', () => {
    expect(configProblems({ INSIGHTS_REFRESH_MS: '5000', INSIGHTS_REPORT_HOUR: '25' })).toEqual([
      'INSIGHTS_REPORT_HOUR must be a whole number from 0 to 23 (got "25")',
      'INSIGHTS_REFRESH_MS must be 0 (refresh only when asked) or at least 60000 (a minute) (got "5000")',
    ]);
    expect(configProblems({ INSIGHTS_REFRESH_MS: 'often' })).toEqual(['INSIGHTS_REFRESH_MS must be a whole number from 0 to 86400000 (got "often")']);
  });
});
