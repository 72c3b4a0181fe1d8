// What every signed-in console page's layout needs: the CSP nonce (headers set here), the CSRF
// token for its forms, the person in the header, and the navigation for their role.
import { ROLE_NAMES } from './console-access.js';
import { securityHeaders } from './console-headers.js';
import type { ConsoleRequest, ConsoleResponse } from './console-request.js';

export function layoutContext(req: ConsoleRequest, res: ConsoleResponse, formTarget: string | null, current?: string): Record<string, unknown> {
  const session = req.consoleSession!;
  const caller = req.caller!;
  const path = current ?? req.url.split('?')[0];
  const items = [
    { href: '/console', text: 'Your worklists' },
    ...(session.roles.includes('clinician') ? [{ href: '/console/worklists/clinical-review/next', text: 'Review next' }] : []),
    { href: '/console/search', text: 'Find a referral' },
    ...(session.roles.includes('booking_clerk') ? [{ href: '/console/waiting-list', text: 'Waiting list' }] : []),
    ...(session.roles.includes('trust_admin')
      ? [
          { href: '/console/capacity', text: 'Capacity' },
          { href: '/console/directory', text: 'Directory' },
          { href: '/console/team', text: 'Team emails' },
          { href: '/console/queues', text: 'Queues' },
          { href: '/console/insights', text: 'Insights' },
        ]
      : []),
    ...(session.roles.includes('group_admin') ? [{ href: '/console/group', text: 'Group' }] : []),
  ];
  return {
    cspNonce: securityHeaders(res, formTarget),
    csrf: session.csrf,
    user: { name: session.name, roleName: ROLE_NAMES[caller.role], trustName: session.trustName, ods: session.ods },
    navigation: items.map((i) => ({ ...i, current: i.href === path })),
  };
}
