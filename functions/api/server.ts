/**
 * The API on a plain Node server, for `npm start` and tests.
 * @module
 */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createApp, type ApiDeps } from './app.js';

/** A running API server. */
export interface RunningApi {
  url: string;
  /** The Node server, for instrumentation such as the benchmark's server-side timings. */
  server: Server;
  close(): Promise<void>;
}

/**
 * Serves the API on `host:port` (port 0 picks a free one).
 *
 * @example
 * const api = await startApi(deps, { port: 8787 });
 * console.log(`${api.url}/v1/health`);
 */
export async function startApi(
  deps: ApiDeps,
  { host = '127.0.0.1', port = 8787 }: { host?: string; port?: number } = {},
): Promise<RunningApi> {
  const app = createApp(deps);

  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      resolve({
        url: `http://${host}:${info.port}`,
        server: server as Server,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
    server.once('error', reject);
  });
}
