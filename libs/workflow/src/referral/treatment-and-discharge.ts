// Stages 6 and 7: the receiving trust records treatment (the RTT clock stops), decides the
// follow-up (kept, handed back to the referring trust, or a virtual ward), and the trust that holds
// the follow-up discharges the patient to their GP when it ends (the summary goes by a job).
import { Injectable } from '@nestjs/common';
import { FOLLOW_UP_ACTIONS, FOLLOW_UP_STATUSES, HANDBACK_REFUSAL_REASONS, type FollowUpPlan, type ReferralStatus } from '#domain';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { outboxJob } from '#queue';
import { applyTransition, type Tx } from '../referral-transition.js';
import type { LoadedReferral } from '../referral-load.js';
import { requireSide } from '../referral-scope.js';
import { BusinessRuleError } from '../workflow-errors.js';
import { loadVisible, saveNote } from './referral-step.js';

@Injectable()
export class TreatmentAndDischarge {
  constructor(private readonly prisma: PrismaService) {}

  async recordTreatment(caller: Caller, id: string, input: { performedAt: Date; procedureCode: string; followUp?: FollowUpPlan }) {
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
      if (!input.followUp) return out;
      return this.startFollowUp(tx, caller, { ...ref, status: out.to, version: out.version }, input.followUp);
    });
  }

  /** The follow-up decided after treatment was recorded without one (TREATED: the receiving clinician). */
  async decideFollowUp(caller: Caller, id: string, input: { plan: FollowUpPlan; note?: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.treatment', 'decide the follow-up');
      const out = await this.startFollowUp(tx, caller, ref, input.plan);
      await saveNote(tx, id, 'follow_up_plan', input.note, caller.sub);
      return out;
    });
  }

  /**
   * The follow-up plan's transition. The RTT clock stopped at treatment: what follows is outside RTT
   * (the event says so, as the view does). A handback is a transfer of its own: the referring trust's
   * clinician accepts it before the patient is told; the other two tell the patient now.
   */
  private startFollowUp(tx: Tx, caller: Caller, ref: LoadedReferral, plan: FollowUpPlan) {
    return applyTransition(tx, ref, {
      action: FOLLOW_UP_ACTIONS[plan],
      actor: actorOf(caller),
      detail: { plan, rtt: 'non-RTT: the clock stopped at treatment', ...(plan === 'hand_back' ? { handedBackTo: ref.originOds } : {}) },
      notify: plan === 'keep' ? ['follow_up_kept'] : plan === 'virtual_ward' ? ['virtual_ward_admitted'] : [],
    });
  }

  /** The referring trust's clinician takes back the follow-up, or refuses it with a reason (the receiving trust keeps it). */
  async decideHandback(caller: Caller, id: string, input: { decision: 'accept' | 'refuse'; reasonCode?: string; note?: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.handback-decision', 'decide on the follow-up handed back');
      if (input.decision === 'refuse' && !input.reasonCode) throw new BusinessRuleError('A refused handback needs a reasonCode', { field: 'reasonCode' });
      const out = await applyTransition(tx, ref, {
        action: input.decision === 'accept' ? 'handback_accepted' : 'handback_refused',
        actor: actorOf(caller),
        detail:
          input.decision === 'accept'
            ? { followUpBy: ref.originOds }
            : {
                followUpBy: ref.receivingOds,
                reasonCode: input.reasonCode,
                reason: (HANDBACK_REFUSAL_REASONS as Record<string, string>)[input.reasonCode!] ?? input.reasonCode,
              },
        notify: [input.decision === 'accept' ? 'handback_accepted' : 'handback_refused'],
      });
      await saveNote(tx, id, 'handback_decision', input.note, caller.sub);
      return out;
    });
  }

  // ---------- 7. discharge ----------

  async recordDischarge(caller: Caller, id: string, input: { dischargedAt: Date; summary: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      // The trust that holds the patient discharges: the receiving trust, or the referring trust once it took back the follow-up.
      requireSide(caller, ref, 'referral.discharge', 'discharge the patient');
      const fromFollowUp = (FOLLOW_UP_STATUSES as readonly ReferralStatus[]).includes(ref.status);
      if (input.dischargedAt.getTime() > Date.now() + 5 * 60_000)
        throw new BusinessRuleError('Discharge cannot be recorded in the future', { field: 'dischargedAt' });
      if (ref.rttClockStop && input.dischargedAt < ref.rttClockStop)
        throw new BusinessRuleError('Discharge cannot be before treatment', { field: 'dischargedAt' });
      const out = await applyTransition(tx, ref, {
        action: fromFollowUp ? 'follow_up_discharged' : 'discharged',
        // One event type for every discharge: the GP's summary, the FHIR view and the timeline read it so.
        type: 'discharged',
        actor: actorOf(caller),
        detail: {
          dischargedAt: input.dischargedAt.toISOString(),
          gpPracticeOds: ref.patient.gpPracticeOds,
          ...(fromFollowUp ? { followUpEnded: FOLLOW_UP_ENDED[ref.status] ?? ref.status, dischargedBy: caller.ods } : {}),
        },
        jobs: (eventId) => [outboxJob('discharge.dispatch', { referralId: id }, eventId)],
        // The message names the trust that discharged, which is not the receiving trust after a handback.
        notify: [caller.ods ? { event: 'discharged', detail: { dischargedBy: caller.ods } } : 'discharged'],
      });
      await saveNote(tx, id, 'discharge_summary', input.summary, caller.sub);
      return out;
    });
  }
}

/** Which follow-up a discharge ended, in the event's words. */
const FOLLOW_UP_ENDED: Partial<Record<ReferralStatus, string>> = {
  FOLLOW_UP: 'follow-up at the receiving trust',
  ORIGIN_FOLLOW_UP: 'follow-up handed back to the referring trust',
  VIRTUAL_WARD: 'virtual ward',
};
