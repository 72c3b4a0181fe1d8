// Auth: roles and permissions, token verification, the guard and the caller.
export * from './roles.js';
export * from './caller.js';
export * from './token-verifier.js';
export * from './auth.decorators.js';
export * from './auth.guard.js';
export * from './auth.module.js';
export * from './audit.service.js';
