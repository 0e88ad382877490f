/**
 * `npm start`: the whole service on one machine. Starts the engine (its own process, as in
 * production, so its decoding threads never compete with the API's event loop), then the API,
 * waits until both answer, and prints a request to try. Ctrl-C stops both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

import { createApiDeps, readApiConfig, startApi } from '../functions/api/index.js';
import { startLocalBatchTrigger } from '../functions/batch/index.js';
import { HttpEngine } from '../layers/engine-client/index.js';
import { createLogger, fieldLogger } from '../layers/observability/index.js';

const logger = createLogger('adcopy-start');
const ENGINE_READY_TIMEOUT_MS = 180_000;

const SAMPLE_BRIEF = {
  product_name: '极光系列无线降噪耳机',
  brand_tone: '年轻潮流',
  target_audience: ['Z世代', '学生群体'],
  keywords: ['沉浸音效', '通勤神器'],
  output_style: '口语化短句',
  session_id: 'sess_demo_1',
};

async function main(): Promise<void> {
  const engineHost = process.env.ENGINE_HOST ?? '127.0.0.1';
  const enginePort = Number(process.env.ENGINE_PORT ?? 8080);
  const engineUrl = process.env.ENGINE_URL ?? `http://${engineHost}:${enginePort}`;

  // Our own engine must be the one that answers: a busy port would let another process's
  // engine pass the readiness check while ours fails to bind.
  if (!process.env.ENGINE_URL) await assertPortFree(engineHost, enginePort, 'ENGINE_PORT');
  const apiHost = process.env.HOST ?? '127.0.0.1';
  const apiPort = Number(process.env.PORT ?? 8787);
  const s3Port = Number(process.env.S3_PORT ?? 4569);
  await assertPortFree(apiHost, apiPort, 'PORT');
  await assertPortFree('127.0.0.1', s3Port, 'S3_PORT');
  const engine = process.env.ENGINE_URL ? undefined : startEngineProcess();
  // One SIGTERM (`killed` says one was sent): the engine drains on it, and needs no second.
  const stopEngine = () => {
    if (engine && !engine.killed && engine.exitCode === null) engine.kill('SIGTERM');
  };
  process.once('exit', stopEngine);

  await waitForEngine(engineUrl, engine);
  const config = readApiConfig({ ...process.env, ENGINE_URL: engineUrl });
  const deps = createApiDeps(config, { logger });
  const api = await startApi(deps, { host: apiHost, port: apiPort });
  // Batch jobs share the API's cache, so a brief already answered over HTTP costs nothing.
  const batch = await startLocalBatchTrigger({
    engine: new HttpEngine({ baseUrl: engineUrl, logger: fieldLogger(logger) }),
    logger,
    cache: deps.cache,
    s3Port,
  });

  printWelcome(api.url, batch.endpoint, batch.bucket);
  const shutdown = async (signal: string) => {
    logger.info('stopping', { signal });
    stopping = true;
    stopEngine();
    // The engine finishes what it is generating (ENGINE_DRAIN_GRACE_MS) before it exits.
    const engineExited =
      engine && engine.exitCode === null
        ? new Promise((done) => engine.once('exit', done))
        : undefined;
    await Promise.all([api.close(), batch.close(), engineExited]);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

async function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`${host}:${port} is already in use (another adcopy?); set ${variable}`)
          : error,
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** True once Ctrl-C or SIGTERM asked everything to stop: the engine's exit is then expected. */
let stopping = false;

function startEngineProcess(): ChildProcess {
  const entry = fileURLToPath(new URL('../engine/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    stdio: ['ignore', 'inherit', 'inherit'],
    // The engine leaves with this process even when it is killed outright (SIGKILL).
    env: { ...process.env, ENGINE_PARENT_PID: String(process.pid) },
  });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    logger.error('engine exited', { code, signal });
    process.exit(code ?? 1);
  });
  return child;
}

async function waitForEngine(engineUrl: string, engine: ChildProcess | undefined): Promise<void> {
  const deadline = Date.now() + ENGINE_READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (engine?.exitCode !== null && engine?.exitCode !== undefined) break;
    try {
      const response = await fetch(`${engineUrl}/ping`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the engine at ${engineUrl} did not become ready`);
}

function printWelcome(apiUrl: string, s3Endpoint: string, bucket: string): void {
  const body = JSON.stringify(SAMPLE_BRIEF).replaceAll("'", "'\\''");
  process.stdout.write(
    [
      '',
      `adcopy is up: API ${apiUrl}  (reference: ${apiUrl}/docs)`,
      'Try:',
      `  curl -s ${apiUrl}/v1/copies -H 'content-type: application/json' -d '${body}'`,
      `Batch: put a JSONL file of briefs under s3://${bucket}/batch/input/ at ${s3Endpoint}`,
      `  (for example, with access key and secret S3RVER: aws --endpoint-url ${s3Endpoint} \\`,
      `     s3 cp briefs.jsonl s3://${bucket}/batch/input/)`,
      `  results appear under s3://${bucket}/batch/output/<job>/`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  logger.error('start failed', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
