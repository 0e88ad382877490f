import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { invoke, invokeStream, startTestEngine, textsOf } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { freePort } from '../helpers/ports.js';

/** The engine as its own process (`engine/main.ts`), its JSON log lines and its exit. */
async function startEngineProcess(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'engine/main.ts'], {
    env: { ...process.env, MODEL_PATH: SHARED_TINY_MODEL, ENGINE_PORT: String(port),
      ENGINE_SLOTS: '4', ENGINE_CONTEXT_SIZE: '512', ENGINE_DRAIN_GRACE_MS: '2000', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; tries < 300; tries++) {
    const ready = await fetch(`${url}/ping`).then((r) => r.ok, () => false);
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const lines = () => log.split('\n').filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { child, url, lines, exited };
}

function stop(child: ChildProcess): void {
  if (child.exitCode === null) child.kill('SIGTERM');
}

const SCHEMA = { type: 'object', properties: {
  headline: { type: 'string', enum: ['Spring tea, cold brewed', 'Oolong without sugar'] },
  call_to_action: { type: 'string', enum: ['Order now', 'Find a shop'] },
}, required: ['headline', 'call_to_action'] };

/** Requests that touch each part of a step: greedy, seeded sampling, n, bans and a grammar. */
const REQUESTS = [
  { prompt: 'Spring tea shop headline:', max_new_tokens: 24, temperature: 0, ignore_eos: true },
  { prompt: 'Cold brew oolong, no sugar', max_new_tokens: 20, temperature: 0.9, top_k: 40,
    seed: 11, n: 2, ignore_eos: true },
  { prompt: 'Jasmine soda for summer', max_new_tokens: 20, temperature: 0,
    bad_words: ['Windows', 'Ca'], ignore_eos: true },
  { prompt: 'A headline as JSON:', max_new_tokens: 80, temperature: 0, json_schema: SCHEMA },
];

describe('Engine process with one lane on CPU', () => {
  let engine: Awaited<ReturnType<typeof startEngineProcess>>;
  let reference: Awaited<ReturnType<typeof startTestEngine>>;

  beforeAll(async () => {
    engine = await startEngineProcess({ ENGINE_LANES: '1', ENGINE_THREADS: '1' });
    reference = await startTestEngine(SHARED_TINY_MODEL, { lanes: 1, maxNewTokens: 1000 });
  });
  afterAll(async () => {
    if (engine) stop(engine.child);
    await reference?.close();
  });

  it('serves from a one-thread-pool process that queues each sample behind its decode', () => {
    const lines = engine.lines();

    expect(lines.some((line) => String(line.message).startsWith(
      'serving from a process with a one-thread native pool'))).toBe(true);
    const serving = lines.find((line) => line.message === 'engine serving');
    expect(serving).toMatchObject({ lanes: 1, threads: 1, samples_queue_behind_decode: true });
  });

  it('gives the text of the default pool for greedy, seeded, banned and grammar requests',
    async () => {
      // WHEN the same requests go to both engines, one by one and then all at once
      for (const request of REQUESTS) {
        const [queued, plain] = await Promise.all([invoke(engine.url, request),
          invoke(reference.url, request)]);
        expect(queued.status).toBe(200);
        expect(textsOf(queued.body)).toEqual(textsOf(plain.body));
      }
      const together = await Promise.all(REQUESTS.map((r) => invoke(engine.url, r)));
      const alone = await Promise.all(REQUESTS.map((r) => invoke(reference.url, r)));

      // THEN the texts match, bans hold and the grammar's output parses
      expect(together.map((r) => textsOf(r.body))).toEqual(alone.map((r) => textsOf(r.body)));
      expect(textsOf(together[2]?.body).join('')).not.toMatch(/Windows|Ca/);
      expect(SCHEMA.properties.headline.enum)
        .toContain(JSON.parse(textsOf(together[3]?.body)[0] ?? '').headline);
    });

  it('streams the same text and frees the slot of a client that goes away', async () => {
    const request = REQUESTS[0] as object;
    const events = await invokeStream(engine.url, request);
    const abort = new AbortController();
    const response = await fetch(`${engine.url}/invocations`, { method: 'POST',
      headers: { 'content-type': 'application/json' }, signal: abort.signal,
      body: JSON.stringify({ prompt: 'Long copy', max_new_tokens: 1000, ignore_eos: true,
        stream: true }) });
    await response.body?.getReader().read();
    abort.abort();

    const plain = await invoke(reference.url, request);
    const next = await invoke(engine.url, request);
    expect(events.filter((e) => e.event === 'token').map((e) => e.data.text).join(''))
      .toBe(textsOf(plain.body)[0]);
    expect(next.status).toBe(200);
    expect(next.body.timings.queue_ms).toBeLessThan(1000);
  });

  it('stops its serving child when the parent is killed outright', async () => {
    // GIVEN a second engine process serving from its one-thread-pool child
    const orphaned = await startEngineProcess({ ENGINE_LANES: '1', ENGINE_THREADS: '1' });
    expect((await fetch(`${orphaned.url}/ping`)).ok).toBe(true);

    // WHEN the parent gets a SIGKILL, which it cannot pass on
    orphaned.child.kill('SIGKILL');
    await orphaned.exited;

    // THEN the child drains and lets go of the port within a few seconds
    let listening = true;
    for (let tries = 0; tries < 50 && listening; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      listening = await fetch(`${orphaned.url}/ping`).then(() => true, () => false);
    }
    expect(listening).toBe(false);
  });

  it('finishes a running stream when SIGTERM comes twice (a supervisor repeating itself)',
    async () => {
      // GIVEN a third engine process with a long stream running
      const draining = await startEngineProcess({ ENGINE_LANES: '1', ENGINE_THREADS: '1' });
      const stream = invokeStream(draining.url, { prompt: 'Long copy', max_new_tokens: 300,
        ignore_eos: true });
      await new Promise((resolve) => setTimeout(resolve, 50));

      // WHEN SIGTERM arrives, and again a moment later
      draining.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 100));
      draining.child.kill('SIGTERM');

      // THEN the stream still ends whole and the processes exit cleanly
      const done = (await stream).find((event) => event.event === 'done');
      expect(done?.data.usage.completion_tokens).toBe(300);
      expect(await draining.exited).toBe(0);
    });

  it('stops both processes on SIGTERM with exit code 0', async () => {
    engine.child.kill('SIGTERM');

    expect(await engine.exited).toBe(0);
    expect(engine.lines().some((line) => line.message === 'engine stopped')).toBe(true);
  });
});
