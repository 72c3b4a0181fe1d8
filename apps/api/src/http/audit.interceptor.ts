// Writes an audit event for every authorised request that touches patient data, before the
// response goes: who, role, trust, action (the route's permission), referral, request id, outcome.
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HttpException } from '@nestjs/common';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { AuditService, type Caller, type Permission } from '#auth';
import { isUuid } from '#domain';
import { WorkflowError } from '#workflow';
import { httpStatusOf } from './error-statuses.js';

/** Permissions whose routes read or change no patient's data. */
const NOT_AUDITED: ReadonlySet<Permission> = new Set<Permission>([
  'capacity.read',
  'capacity.write',
  'audit.read',
  'team-contact.read',
  'team-contact.write',
  'reason-codes.read',
  'directory.read',
  'group.read',
]);
/** Permissions whose routes touch patient data but no one referral: their ids (an import's) are not referral ids. */
const NO_REFERRAL: ReadonlySet<Permission> = new Set<Permission>([
  'waiting-list.import',
  'waiting-list.read',
  'matching.run',
  'task.read',
  'task.complete',
  // The directory, postcodes and the group: audited (who changed what, when), and no referral's.
  'directory.write',
  'postcodes.load',
  'group.write',
  // Patient-initiated mutual aid: cohorts and opt-ins (their ids are not referral ids).
  'pidmas.invite',
  'pidmas.read',
  'pidmas.review',
]);

interface AuditedRequest {
  caller?: Caller;
  permission?: Permission;
  params?: Record<string, string>;
  id?: string;
  /** The referral a handler acted on when neither its path nor its answer's id names it (a FHIR message). */
  auditReferralId?: string;
}

@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditService) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<AuditedRequest>();
    const res = ctx.switchToHttp().getResponse<{ statusCode: number }>();
    if (!req.caller || !req.permission || NOT_AUDITED.has(req.permission)) return next.handle();
    const caller = req.caller;
    const action = req.permission;
    const param = NO_REFERRAL.has(action) ? undefined : req.params?.id;
    const write = (referralId: string | null, outcome: number) => this.audit.record({ caller, action, referralId, requestId: req.id ?? null, outcome });
    return from(
      (async () => {
        try {
          const result: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
          const created = (result as { id?: unknown } | undefined)?.id;
          const referralId =
            req.auditReferralId ??
            (param && isUuid(param) ? param : !NO_REFERRAL.has(action) && typeof created === 'string' && isUuid(created) ? created : null);
          await write(referralId, res.statusCode);
          return result;
        } catch (e) {
          const status = e instanceof WorkflowError ? httpStatusOf(e) : e instanceof HttpException ? e.getStatus() : 500;
          // A request the audit cannot record still fails as it would have; the trail write is best effort on errors.
          await write(req.auditReferralId ?? (param && isUuid(param) ? param : null), status).catch(() => undefined);
          throw e;
        }
      })(),
    );
  }
}
