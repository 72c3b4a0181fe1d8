// The weekly report email to a trust's teams: aggregate figures in words (already through the
// disclosure rule when they were written) and links to the report in the staff console. No patient data.
export interface WeeklyReportContext {
  readonly trustName: string;
  readonly weekStart: string;
  readonly lines: readonly string[];
  readonly skew: string;
  readonly skewFlagged: boolean;
  /** The service's address (PUBLIC_BASE_URL), no trailing slash. */
  readonly consoleUrl: string;
}

export function renderWeeklyReport(c: WeeklyReportContext): { subject: string; body: string } {
  const week = new Date(`${c.weekStart}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  return {
    subject: `crosstrust: weekly report for ${c.trustName}, week commencing ${week}${c.skewFlagged ? ' (acceptance skews by deprivation)' : ''}`,
    body: [
      `The week's figures for ${c.trustName}'s referrals (counts of fewer than 5 patients are not given):`,
      ...c.lines.map((l) => `- ${l}`),
      '',
      `Acceptance by deprivation: ${c.skew}`,
      '',
      `The report with its charts: ${c.consoleUrl}/console/insights/report?scope=trust`,
      `As a PDF: ${c.consoleUrl}/console/insights/report.pdf?scope=trust`,
      `Equity and planning in the staff console: ${c.consoleUrl}/console/insights`,
      '',
      'This email holds no patient details.',
    ].join('\n'),
  };
}
