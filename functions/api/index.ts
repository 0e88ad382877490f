/**
 * @module api
 * The HTTP API: one Hono app, served by Lambda (lambda.ts) or by a Node server (server.ts).
 */
export { createApp, type ApiDeps, type ApiEnv } from './app.js';
export { createApiDeps, readApiConfig, type ApiConfig } from './deps.js';
export { PROBLEM_TYPES, ProblemError, type ProblemType } from './problems.js';
export { startApi, type RunningApi } from './server.js';
