// Configuration: the environment schema and the Nest module that provides it.
export * from './app-config.js';
export * from './config.module.js';
export * from './logging.js';
