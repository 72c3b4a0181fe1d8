// Generates the Prisma client (npm install does not for the prisma-client generator).
// The CLI needs DATABASE_URL set to read the schema offline, though generate never connects.
import { prisma } from './lib/local-services.mjs';

prisma(['generate'], { ...process.env, DATABASE_URL: process.env.DATABASE_URL || 'postgresql://localhost:5432/placeholder' });
