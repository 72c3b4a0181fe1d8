// Global guard: every route either names a permission or is marked public; nothing else gets through.
import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { isUuid } from '#domain';
import { PERMISSION_KEY, PUBLIC_KEY } from './auth.decorators.js';
import { PERMISSIONS, type Permission, type Role } from './roles.js';
import { TokenError, TokenVerifier } from './token-verifier.js';
import type { Caller } from './caller.js';
import { AuditService } from './audit.service.js';

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly audit: AuditService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const permission = this.reflector.getAllAndOverride<Permission>(PERMISSION_KEY, targets);
    if (!permission) throw new ForbiddenException('This route declares no permission and is closed');

    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; caller?: Caller; permission?: Permission }>();
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new UnauthorizedException('A bearer token is required (Authorization: Bearer <token>)');
    let claims;
    try {
      claims = await this.verifier.verifyFor(req, m[1]);
    } catch (e) {
      if (e instanceof TokenError) throw new UnauthorizedException(e.message);
      throw e;
    }
    const allowed: readonly Role[] = PERMISSIONS[permission];
    const role = allowed.find((r) => claims.roles.includes(r));
    if (!role) {
      // A refused attempt by a known caller is part of the trail too.
      const referralId = (req as { params?: { id?: string } }).params?.id;
      await this.audit
        .record({
          caller: { sub: claims.sub, role: claims.roles[0], ods: claims.ods },
          action: permission,
          referralId: referralId && isUuid(referralId) ? referralId : null,
          requestId: (req as { id?: string }).id ?? null,
          outcome: 403,
        })
        .catch(() => undefined);
      throw new ForbiddenException(`Your role (${claims.roles.join(', ')}) may not do this: it needs ${allowed.join(' or ')}`);
    }
    req.caller = { ...claims, role };
    req.permission = permission;
    return true;
  }
}
