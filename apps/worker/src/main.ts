// Entry point of the worker process: runs until SIGTERM, then finishes running jobs and closes.
import { createWorkerApp } from './bootstrap.js';

await createWorkerApp();
