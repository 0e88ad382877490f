/**
 * @module test/helpers/redis
 * A real, throwaway `redis-server` on a free loopback port, without persistence.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

import { freePort } from './ports.js';

/** A running test Redis. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

/** Resolves once the server logs that it accepts connections; rejects if it exits first. */
async function waitUntilReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server not ready in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const hint = err.code === 'ENOENT' ? ' (install it: apt-get install -y redis-server)' : '';
      reject(new Error(`redis-server could not start${hint}: ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
}

/**
 * Starts `redis-server` (installed by .ci/run) bound to 127.0.0.1 with snapshots and the
 * append-only file off, so nothing is written to disk. Tries a few ports in case another process
 * takes one between the probe and the bind.
 * @param options.port a fixed port, to bring a stopped server back where its clients look for it
 * @example
 * const redis = await startTestRedis();
 * afterAll(() => redis.stop());
 */
export async function startTestRedis(options: { port?: number } = {}): Promise<TestRedis> {
  let lastError: unknown;
  for (let tries = 0; tries < 5; tries++) {
    const port = options.port ?? (await freePort());
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'notice',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      await waitUntilReady(child, 10_000);
    } catch (err) {
      lastError = err;
      child.kill('SIGKILL');
      continue;
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      async stop() {
        if (child.exitCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      },
    };
  }
  throw lastError;
}
