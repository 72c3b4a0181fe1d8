// Authentication and authorisation: the token verifier and the global guard.
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard.js';
import { TokenVerifier } from './token-verifier.js';
import { AuditService } from './audit.service.js';

@Module({
  providers: [TokenVerifier, AuditService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [TokenVerifier, AuditService],
})
export class AuthModule {}
