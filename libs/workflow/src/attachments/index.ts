// Attachments sent with a referral, and the store their bytes live in.
export * from './attachment-store.js';
export * from './attachments.js';
