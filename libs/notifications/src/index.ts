// Notifications: events, templates, channel preference, and delivery channels.
export * from './notification-events.js';
export * from './plain-english.js';
export * from './notification-channel.js';
export * from './offer-link.js';
export * from './staff-worklist-template.js';
export * from './notify-channel.js';
export * from './quiet-hours.js';
export * from './weekly-report-template.js';
export * from './pidmas-invitation.js';
