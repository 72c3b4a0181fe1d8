// The steps people take on a referral, one file per stage; each step is one transaction.
export * from './referral-step.js';
export * from './open-referral.js';
export * from './clinical-review.js';
export * from './consent.js';
export * from './transfer-of-care.js';
export * from './bookings.js';
export * from './treatment-and-discharge.js';
export * from './exits.js';
export * from './patient-contact.js';
export * from './additional-requirements.js';
export * from './clinical-package.js';
export * from './information-requests.js';
export * from './clinics.js';
export * from './reoffer.js';
