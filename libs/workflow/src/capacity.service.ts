// Capacity declared by each trust to the group, per specialty (treatment function code).
import { Injectable } from '@nestjs/common';
import { isoDate } from '#domain';
import { PrismaService } from '#persistence';
import { BusinessRuleError } from './workflow-errors.js';

export interface CapacityDeclaration {
  readonly weeklySlots: number;
  readonly fromDate: Date;
  readonly toDate: Date;
  readonly siteOds?: string | null;
}

@Injectable()
export class CapacityService {
  constructor(private readonly prisma: PrismaService) {}

  async declare(trustOds: string, specialtyCode: string, d: CapacityDeclaration) {
    if (d.toDate < d.fromDate) throw new BusinessRuleError('toDate is before fromDate', { field: 'toDate' });
    if (d.siteOds) {
      const site = await this.prisma.site.findFirst({ where: { ods: d.siteOds, trustOds } });
      if (!site) throw new BusinessRuleError(`Site ${d.siteOds} is not a site of ${trustOds}`, { field: 'siteOds' });
    }
    const row = await this.prisma.capacity.upsert({
      where: { trustOds_specialtyCode: { trustOds, specialtyCode } },
      create: { trustOds, specialtyCode, weeklySlots: d.weeklySlots, fromDate: d.fromDate, toDate: d.toDate, siteOds: d.siteOds ?? null },
      update: { weeklySlots: d.weeklySlots, fromDate: d.fromDate, toDate: d.toDate, siteOds: d.siteOds ?? null },
    });
    return view(row);
  }

  async list(specialtyCode?: string) {
    const rows = await this.prisma.capacity.findMany({ where: specialtyCode ? { specialtyCode } : {}, orderBy: [{ specialtyCode: 'asc' }, { trustOds: 'asc' }] });
    return { items: rows.map(view), nextCursor: null };
  }
}

function view(r: { trustOds: string; specialtyCode: string; siteOds: string | null; weeklySlots: number; fromDate: Date; toDate: Date; updatedAt: Date }) {
  return { ods: r.trustOds, specialtyCode: r.specialtyCode, siteOds: r.siteOds, weeklySlots: r.weeklySlots, fromDate: isoDate(r.fromDate), toDate: isoDate(r.toDate), updatedAt: r.updatedAt.toISOString() };
}
