// Entry point of the API process.
import { APP_CONFIG, type AppConfig } from '#config';
import { createApiApp } from './bootstrap.js';

const app = await createApiApp();
const config = app.get<AppConfig>(APP_CONFIG);
await app.listen(config.port, '0.0.0.0');
