// Queues: the job catalogue, retry policies and Redis connection options.
export * from './job-catalogue.js';
export * from './redis-connection.js';
export * from './defer.js';
export * from './periodic-task.js';
export * from './on-job.js';
export * from './queue-errors.js';
export * from './producer-queues.js';
