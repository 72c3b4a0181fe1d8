// Workflow use cases: each stage change one transaction (status + timeline event + outbox rows).
export * from './workflow-errors.js';
export * from './referral-scope.js';
export * from './referral-transition.js';
export * from './offer-matcher.js';
export * from './referral-commands.service.js';
export * from './referral-queries.service.js';
export * from './automated-steps.service.js';
export * from './capacity.service.js';
export * from './tasks.js';
export * from './waiting-list/waiting-list-imports.service.js';
export * from './waiting-list/waiting-list-importer.service.js';
export * from './waiting-list/long-waiters.service.js';
export * from './workflow.module.js';
