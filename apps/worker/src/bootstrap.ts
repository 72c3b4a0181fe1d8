// Builds the worker application context (used by main.ts and by the e2e tests alike).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import type { NotificationChannel } from '#notifications';
import { WorkerModule } from './worker.module.js';

export async function createWorkerApp(opts: { logger?: boolean; notificationChannel?: NotificationChannel } = {}) {
  const app = await NestFactory.createApplicationContext(WorkerModule.register({ notificationChannel: opts.notificationChannel }), {
    bufferLogs: opts.logger !== false,
    logger: opts.logger === false ? false : undefined,
    abortOnError: false,
  });
  if (opts.logger !== false) app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  return app;
}
