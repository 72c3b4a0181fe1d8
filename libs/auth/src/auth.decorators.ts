// Route decorators: the permission a route needs (feeding OpenAPI's security section), or public.
import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { PERMISSIONS, type Permission } from './roles.js';
import type { Caller } from './caller.js';

export const PERMISSION_KEY = 'crosstrust:permission';
export const PUBLIC_KEY = 'crosstrust:public';

export function RequirePermission(permission: Permission) {
  return applyDecorators(
    SetMetadata(PERMISSION_KEY, permission),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No bearer token, or an invalid one' }),
    ApiForbiddenResponse({ description: `Role not allowed: needs one of ${PERMISSIONS[permission].join(', ')}` }),
  );
}

export const Public = () => SetMetadata(PUBLIC_KEY, true);

export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const req = ctx.switchToHttp().getRequest<{ caller?: Caller }>();
  if (!req.caller) throw new Error('CurrentCaller used on a route without authentication');
  return req.caller;
});
