// The group's sites by ODS code, read once a minute: offers and bookings name the hospital
// ("Warwick Hospital"), not only its code, without a join in the referral view's one statement.
import { Injectable } from '@nestjs/common';
import { PrismaService } from '#persistence';

const FRESH_MS = 60_000;

@Injectable()
export class SiteNames {
  private cache: { at: number; names: Promise<ReadonlyMap<string, string>> } | null = null;

  constructor(private readonly prisma: PrismaService) {}

  /** Every site's name by its ODS code (a site added by an admin shows within a minute). */
  all(): Promise<ReadonlyMap<string, string>> {
    if (!this.cache || Date.now() - this.cache.at > FRESH_MS) {
      const names = this.prisma.sql
        .query<{ ods: string; name: string }>('SELECT ods, name FROM site')
        .then(({ rows }) => new Map(rows.map((r) => [r.ods, r.name])) as ReadonlyMap<string, string>);
      names.catch(() => (this.cache = null));
      this.cache = { at: Date.now(), names };
    }
    return this.cache.names;
  }
}
