// FHIR R4 (UK Core) export and BaRS-shaped intake: the mapping and the use cases behind /fhir routes.
export * from './fhir-codes.js';
export * from './referral-bundle.js';
export * from './capability-statement.js';
export * from './bars-message.js';
export * from './fhir-export.js';
export * from './bars-intake.js';
