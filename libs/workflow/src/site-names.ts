// The group's sites by ODS code, read once a minute: offers and bookings name the hospital
// ("Warwick Hospital"), not only its code, without a join in the referral view's one statement;
// the console's booking form lists the receiving trust's sites from it.
import { Injectable } from '@nestjs/common';
import { PrismaService } from '#persistence';

const FRESH_MS = 60_000;

export interface Site {
  readonly name: string;
  readonly trustOds: string;
}

@Injectable()
export class SiteNames {
  private cache: { at: number; names: Promise<ReadonlyMap<string, Site>> } | null = null;

  constructor(private readonly prisma: PrismaService) {}

  /** Reads the sites afresh next time (this process changed one: the directory's routes). */
  forget(): void {
    this.cache = null;
  }

  /** Every site by its ODS code, in name order (a site added by an admin shows within a minute). */
  all(): Promise<ReadonlyMap<string, Site>> {
    if (!this.cache || Date.now() - this.cache.at > FRESH_MS) {
      const names = this.prisma.sql
        .query<{ ods: string; name: string; trust_ods: string }>('SELECT ods, name, trust_ods FROM site ORDER BY name')
        .then(({ rows }) => new Map(rows.map((r) => [r.ods, { name: r.name, trustOds: r.trust_ods }])) as ReadonlyMap<string, Site>);
      names.catch(() => (this.cache = null));
      this.cache = { at: Date.now(), names };
    }
    return this.cache.names;
  }
}
