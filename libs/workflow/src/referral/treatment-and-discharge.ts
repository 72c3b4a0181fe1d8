// Stages 6 and 7: the receiving trust records treatment (the RTT clock stops) and discharges the
// patient to their GP (the discharge summary goes to the practice by a job).
import { Injectable } from '@nestjs/common';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { outboxJob } from '#queue';
import { applyTransition } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import { BusinessRuleError } from '../workflow-errors.js';
import { loadVisible, saveNote } from './referral-step.js';

@Injectable()
export class TreatmentAndDischarge {
  constructor(private readonly prisma: PrismaService) {}

  async recordTreatment(caller: Caller, id: string, input: { performedAt: Date; procedureCode: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.treatment', 'record treatment');
      if (input.performedAt.getTime() > Date.now() + 5 * 60_000)
        throw new BusinessRuleError('Treatment cannot be recorded in the future', { field: 'performedAt' });
      if (input.performedAt < ref.rttClockStart) throw new BusinessRuleError('Treatment cannot be before the RTT clock start', { field: 'performedAt' });
      const out = await applyTransition(tx, ref, {
        action: 'treatment_recorded',
        actor: actorOf(caller),
        detail: {
          procedureCode: input.procedureCode,
          performedAt: input.performedAt.toISOString(),
          rttStatus: '30',
          note: 'RTT clock stopped: first definitive treatment',
        },
        data: { rttClockStop: input.performedAt },
        notify: ['treatment_recorded'],
      });
      await tx.query(`UPDATE booking SET status = 'ATTENDED' WHERE referral_id = $1::uuid AND kind = 'procedure' AND status = 'BOOKED'`, [id]);
      return out;
    });
  }

  // ---------- 7. discharge ----------

  async recordDischarge(caller: Caller, id: string, input: { dischargedAt: Date; summary: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.discharge', 'discharge the patient');
      if (input.dischargedAt.getTime() > Date.now() + 5 * 60_000)
        throw new BusinessRuleError('Discharge cannot be recorded in the future', { field: 'dischargedAt' });
      if (ref.rttClockStop && input.dischargedAt < ref.rttClockStop)
        throw new BusinessRuleError('Discharge cannot be before treatment', { field: 'dischargedAt' });
      const out = await applyTransition(tx, ref, {
        action: 'discharged',
        actor: actorOf(caller),
        detail: { dischargedAt: input.dischargedAt.toISOString(), gpPracticeOds: ref.patient.gpPracticeOds },
        jobs: (eventId) => [outboxJob('discharge.dispatch', { referralId: id }, eventId)],
        notify: ['discharged'],
      });
      await saveNote(tx, id, 'discharge_summary', input.summary, caller.sub);
      return out;
    });
  }
}
