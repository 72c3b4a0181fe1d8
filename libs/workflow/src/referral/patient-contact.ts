// The referring trust's booking team corrects the patient's contact details on one referral.
import { Injectable } from '@nestjs/common';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { appendEvent } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import { ConcurrentChangeError } from '../workflow-errors.js';
import { correctContact, type ContactCorrection, type ContactField } from '../patient-record.js';
import { loadVisible } from './referral-step.js';

@Injectable()
export class PatientContact {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The referring trust's booking team corrects the patient's contact details on this referral
   * (its own record: no other referral or trust is touched). Messages not yet sent read them when
   * they go. The timeline names the fields changed, never their values.
   */
  async correct(caller: Caller, id: string, input: ContactCorrection): Promise<{ changed: ContactField[] }> {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.patient-contact', "correct the patient's contact details");
      const changed = await correctContact(tx, id, input);
      if (changed.length === 0) return { changed };
      const updated = await tx.query('UPDATE referral SET version = version + 1, updated_at = now() WHERE id = $1::uuid AND version = $2', [id, ref.version]);
      if (updated.rowCount === 0) throw new ConcurrentChangeError(ref.status);
      await appendEvent(tx, id, ref.status, 'patient_contact_corrected', actorOf(caller), { fields: changed });
      return { changed };
    });
  }
}
