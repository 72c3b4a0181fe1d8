// The slots of capacity_week (per service of a site, service-directory.ts): taken when a patient accepts an offer, given back when the referral
// leaves the path before treatment. Every function runs inside the caller's transaction, so a slot
// moves together with the stage change that moves it.
//
// Short capacity (who goes first): referrals rank by RTT clock start (earliest = waited longest),
// then clinical priority (P1 before P4). A referral is "ahead" of another when it ranks strictly
// before it; equal clock start and priority is an equal claim. A site is offered to a referral, and
// an accepted offer of that site takes a slot, only while the site's free slots (from the offer's
// earliest week on) exceed the open offers there held by referrals ahead of it. Among equals, the
// first to accept gets the slot: the UPDATE ... WHERE used < slots decides, and the other is refused.
import { isoDate, OFFERS_HELD, ukDate } from '#domain';
import { SqlParams } from '#persistence';
import { BusinessRuleError } from './workflow-errors.js';
import type { Tx } from './referral-transition.js';

const DAY_MS = 86_400_000;

/** The Monday of the week `d` falls in, on the UK calendar (Europe/London), as a date (midnight UTC). */
export function mondayOf(d: Date): Date {
  const day = ukDate(d);
  const back = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - back * DAY_MS);
}

/** The first week offers are made for: the Monday after `today` (this week is too short notice). */
export function firstOfferWeek(today: Date): Date {
  return new Date(mondayOf(today).getTime() + 7 * DAY_MS);
}

/** The later of two weeks. */
function laterWeek(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

/**
 * The first week a slot can still be taken in at `now`: the offer's own week, or the first week
 * offers are made for now when that is later (an offer made weeks ago names a week that is over).
 */
export function firstClaimableWeek(week: Date, now: Date): Date {
  return laterWeek(mondayOf(week), firstOfferWeek(now));
}

export interface Rank {
  readonly referralId: string;
  readonly rttClockStart: Date;
  readonly priority: string;
}

/**
 * Per site: free slots from `fromWeek` on (never from a week earlier than offers are made for at
 * `now`: past weeks' slots are not free), and open offers there held (OFFERS_HELD) by referrals
 * ranking ahead of `rank`. One statement for all the sites asked about.
 */
export async function siteStanding(
  tx: Tx,
  specialtyCode: string,
  siteOds: readonly string[],
  fromWeek: Date,
  rank: Rank | null,
  now: Date = new Date(),
): Promise<Map<string, { free: number; ahead: number }>> {
  if (siteOds.length === 0) return new Map();
  fromWeek = firstClaimableWeek(fromWeek, now);
  const { rows } = await tx.query<{ site_ods: string; free: number; ahead: number }>(
    `SELECT s.site_ods,
            COALESCE((SELECT sum(GREATEST(cw.slots - cw.used, 0)) FROM capacity_week cw
                      WHERE cw.site_ods = s.site_ods AND cw.specialty_code = $1 AND cw.week_start >= $3::date), 0)::int AS free,
            CASE WHEN $4::uuid IS NULL THEN 0 ELSE
              (SELECT count(*) FROM offer o JOIN referral r ON r.id = o.referral_id
               WHERE o.site_ods = s.site_ods AND o.status = 'OPEN' AND r.specialty_code = $1 AND r.id <> $4::uuid
                 AND r.status = ANY($7::"ReferralStatus"[])
                 AND (r.rtt_clock_start < $5::date OR (r.rtt_clock_start = $5::date AND r.priority < $6)))
            END::int AS ahead
     FROM unnest($2::text[]) AS s(site_ods)`,
    [specialtyCode, [...siteOds], isoDate(fromWeek), rank?.referralId ?? null, rank ? isoDate(rank.rttClockStart) : null, rank?.priority ?? null, OFFERS_HELD],
  );
  return new Map(rows.map((r) => [r.site_ods, { free: r.free, ahead: r.ahead }]));
}

/**
 * Per service: free slots from `fromWeek` on and open offers of that service held by referrals
 * ranking ahead of `rank` (as siteStanding, for the services a site offers apart).
 */
export async function serviceStanding(
  tx: Tx,
  serviceIds: readonly string[],
  fromWeek: Date,
  rank: Rank | null,
  now: Date = new Date(),
): Promise<Map<string, { free: number; ahead: number }>> {
  if (serviceIds.length === 0) return new Map();
  const p = new SqlParams();
  const ids = p.add([...serviceIds]);
  const { rows } = await tx.query<{ service_id: string; free: number; ahead: number }>(
    `SELECT s.service_id, ${serviceStandingColumns(p, 's.service_id', fromWeek, rank, now)} FROM unnest(${ids}::uuid[]) AS s(service_id)`,
    p.values,
  );
  return new Map(rows.map((r) => [r.service_id, { free: r.free, ahead: r.ahead }]));
}

/**
 * serviceStanding's two columns, `free` and `ahead`, for the service whose id is the SQL expression
 * `service`, its values added to `p`: the offer matcher asks them in its candidate search (one round
 * trip fewer per match), and both must judge a service alike.
 */
export function serviceStandingColumns(p: SqlParams, service: string, fromWeek: Date, rank: Rank | null, now: Date = new Date()): string {
  const from = p.add(isoDate(firstClaimableWeek(fromWeek, now)));
  const free = `COALESCE((SELECT sum(GREATEST(wk.slots - wk.used, 0)) FROM capacity_week wk
                 WHERE wk.service_id = ${service} AND wk.week_start >= ${from}::date), 0)::int AS free`;
  if (!rank) return `${free}, 0 AS ahead`;
  const me = p.add(rank.referralId);
  const start = p.add(isoDate(rank.rttClockStart));
  return `${free},
          (SELECT count(*) FROM offer o JOIN referral r ON r.id = o.referral_id
           WHERE o.service_id = ${service} AND o.status = 'OPEN' AND r.id <> ${me}::uuid
             AND r.status = ANY(${p.add(OFFERS_HELD)}::"ReferralStatus"[])
             AND (r.rtt_clock_start < ${start}::date OR (r.rtt_clock_start = ${start}::date AND r.priority < ${p.add(rank.priority)})))::int AS ahead`;
}

export interface ClaimInput {
  readonly offerId: string;
  readonly siteOds: string;
  /** The service whose weeks the slot comes from (the offer's). */
  readonly serviceId: string;
  readonly specialtyCode: string;
  readonly earliestWeek: Date;
  readonly rank: Rank;
  /** When the claim is made (default: now); weeks before the first week offers are made for then are over. */
  readonly now?: Date;
}

/**
 * Takes one slot of the site's earliest week with room at or after the offer's earliest week (or the
 * first week offers are made for now, when the offer is old enough for that to be later), or
 * refuses (422) saying why. Safe under concurrency: the conditional UPDATE takes a slot only while
 * one is left; a loser looks again at the next week with room, and is refused when there is none.
 */
export async function claimSlot(tx: Tx, input: ClaimInput): Promise<Date> {
  const now = input.now ?? new Date();
  const from = firstClaimableWeek(input.earliestWeek, now);
  const standing = (await serviceStanding(tx, [input.serviceId], from, input.rank, now)).get(input.serviceId)!;
  if (standing.free > 0 && standing.free <= standing.ahead) {
    throw new BusinessRuleError(
      `The ${standing.free} free slot(s) at ${input.siteOds} from the week of ${isoDate(from)} are held for ${standing.ahead} patient(s) who have waited longer or are of higher clinical priority; offer the patient another site or wait until those offers are answered`,
      { field: 'offerId', reason: 'CAPACITY_HELD_FOR_LONGER_WAITERS' },
    );
  }
  // The earliest week with room, its slot taken and the claim written in one statement: the week's
  // row stays locked from this statement to the commit, and every consent for the site and
  // service queues on it, so nothing else runs in between.
  for (;;) {
    const { rows } = await tx.query<{ week_start: Date; claimed: Date | null }>(
      `WITH next AS (
         SELECT week_start FROM capacity_week WHERE service_id = $6::uuid AND week_start >= $3::date AND used < slots ORDER BY week_start LIMIT 1),
       taken AS (
         UPDATE capacity_week cw SET used = cw.used + 1, updated_at = now() FROM next
         WHERE cw.service_id = $6::uuid AND cw.week_start = next.week_start AND cw.used < cw.slots
         RETURNING cw.week_start),
       claim AS (
         INSERT INTO capacity_claim (referral_id, offer_id, site_ods, specialty_code, service_id, week_start)
         SELECT $4::uuid, $5::uuid, $1, $2, $6::uuid, week_start FROM taken RETURNING week_start)
       SELECT next.week_start, (SELECT week_start FROM claim) AS claimed FROM next`,
      [input.siteOds, input.specialtyCode, isoDate(from), input.rank.referralId, input.offerId, input.serviceId],
    );
    const row = rows[0];
    if (!row) {
      throw new BusinessRuleError(
        `No slot is left at ${input.siteOds} for specialty ${input.specialtyCode} from the week of ${isoDate(from)}: the last one has been taken. Offer the patient another site.`,
        {
          field: 'offerId',
          reason: 'NO_CAPACITY_LEFT',
        },
      );
    }
    if (row.claimed) return row.claimed;
    // Someone took the last slot of that week between our look and our update (the update saw
    // their committed row and found it full): look again.
  }
}

/** Gives back the slot the referral holds, if any. Returns the week it was in. */
export async function releaseSlot(tx: Tx, referralId: string, reason: string): Promise<Date | null> {
  const { rows } = await tx.query<{ week_start: Date }>(
    `WITH c AS (
       UPDATE capacity_claim SET released_at = now(), released_reason = $2 WHERE referral_id = $1::uuid AND released_at IS NULL
       RETURNING service_id, week_start)
     UPDATE capacity_week cw SET used = cw.used - 1, updated_at = now() FROM c
     WHERE cw.service_id = c.service_id AND cw.week_start = c.week_start
     RETURNING cw.week_start`,
    [referralId, reason],
  );
  return rows[0]?.week_start ?? null;
}
