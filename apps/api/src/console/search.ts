// The console's search: an NHS number (spaces or not), a pathway id, or a family name with a date
// of birth, over the referrals the person's trust can see (visibleToSql, as every read).
import { Injectable } from '@nestjs/common';
import type { Caller } from '#auth';
import { isValidNhsNumber } from '#domain';
import { PrismaService, SqlParams } from '#persistence';
import { visibleToSql } from '#workflow';

export type SearchQuery =
  | { kind: 'nhsNumber'; nhsNumber: string }
  | { kind: 'nameAndBirth'; familyName: string; dateOfBirth: string }
  | { kind: 'pathwayId'; pathwayId: string }
  | { kind: 'unclear'; message: string };

const DATE = /(\d{1,2})[\s/.-](\d{1,2})[\s/.-](\d{4})|(\d{4})-(\d{2})-(\d{2})/;

/** What a person typed, read as one of the three kinds of search. */
export function parseSearch(q: string): SearchQuery {
  const text = q.trim().replace(/\s+/g, ' ');
  const digits = text.replace(/[\s-]/g, '');
  if (/^\d{10}$/.test(digits)) {
    return isValidNhsNumber(digits)
      ? { kind: 'nhsNumber', nhsNumber: digits }
      : { kind: 'unclear', message: `${text} is not a valid NHS number: check the digits` };
  }
  const m = DATE.exec(text);
  if (m) {
    const [d, mo, y] = m[1] ? [m[1], m[2], m[3]] : [m[6], m[5], m[4]];
    const iso = `${y}-${mo.padStart(2, '0')}-${d.padStart(2, '0')}`;
    const date = new Date(`${iso}T00:00:00Z`);
    const name = text.replace(m[0], '').replace(/[,]/g, ' ').trim();
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso)
      return { kind: 'unclear', message: 'The date of birth must be a real date, for example 5 5 1960' };
    if (!name) return { kind: 'unclear', message: 'Enter the family name with the date of birth, for example Smith 5 5 1960' };
    return { kind: 'nameAndBirth', familyName: name, dateOfBirth: iso };
  }
  if (/^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$/.test(text)) return { kind: 'pathwayId', pathwayId: text };
  return { kind: 'unclear', message: 'Enter an NHS number, a pathway id, or a family name with a date of birth' };
}

export interface SearchHit {
  id: string;
  status: string;
  pathwayId: string;
  familyName: string;
  givenName: string;
  nhsNumber: string;
  dateOfBirth: Date;
  originOds: string;
  receivingOds: string | null;
}

@Injectable()
export class ReferralSearch {
  constructor(private readonly prisma: PrismaService) {}

  async find(caller: Caller, q: Exclude<SearchQuery, { kind: 'unclear' }>): Promise<SearchHit[]> {
    const p = new SqlParams();
    const match =
      q.kind === 'nhsNumber'
        ? `p.nhs_number = ${p.add(q.nhsNumber)}`
        : q.kind === 'pathwayId'
          ? // As read out on the phone: in the trust's capitals too (two index probes, not a scan).
            `r.pathway_id IN (${p.add(q.pathwayId)}, ${p.add(q.pathwayId.toUpperCase())})`
          : `lower(p.family_name) = lower(${p.add(q.familyName)}) AND p.date_of_birth = ${p.add(q.dateOfBirth)}::date`;
    const { rows } = await this.prisma.sql.query<SearchHit>(
      `SELECT r.id, r.status, r.pathway_id AS "pathwayId", p.family_name AS "familyName", p.given_name AS "givenName", p.nhs_number AS "nhsNumber",
              p.date_of_birth AS "dateOfBirth", r.origin_ods AS "originOds", r.receiving_ods AS "receivingOds"
       FROM referral r JOIN patient p ON p.id = r.patient_id
       WHERE ${match} AND ${visibleToSql(caller, p)} ORDER BY r.created_at DESC, r.id LIMIT 50`,
      p.values,
    );
    return rows;
  }
}
