// Notifications: events, templates, channel preference, and delivery channels.
export * from './notification-events.js';
export * from './notification-channel.js';
