// The referral's statuses as a Mermaid state diagram, drawn from the transition table itself, so
// the picture in docs/architecture.md cannot drift from the rules (a test compares the two).
import { allowedPairs } from './referral-state-machine.js';
import { FINAL_STATUSES, REFERRAL_STATUSES } from './referral-status.js';

export function referralStateDiagram(): string {
  const edges = new Map<string, string[]>();
  for (const { action, from, to } of allowedPairs()) {
    if (from === to) continue; // actions that leave the status as it is (a pre-op booking) draw no arrow
    const key = `${from} --> ${to}`;
    edges.set(key, [...(edges.get(key) ?? []), action]);
  }
  const order = (s: string) => REFERRAL_STATUSES.indexOf(s as never);
  const lines = [...edges]
    .sort(([a], [b]) => {
      const [fa, ta] = a.split(' --> ');
      const [fb, tb] = b.split(' --> ');
      return order(fa) - order(fb) || order(ta) - order(tb);
    })
    .map(([edge, actions]) => `  ${edge}: ${actions.join(', ')}`);
  const finals = REFERRAL_STATUSES.filter((s) => FINAL_STATUSES.has(s)).map((s) => `  ${s} --> [*]`);
  return ['stateDiagram-v2', '  [*] --> IDENTIFIED', ...lines, ...finals].join('\n');
}
