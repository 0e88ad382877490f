/**
 * QA of the engine's two-process start (engine/main.ts) and its bad-words index, on the shared
 * tiny model: the engine as its own process on one lane (a child with a one-thread pool, samples
 * queued behind decodes) against an in-process engine on the default pool, odd pool settings,
 * the start-up window, a parent killed outright with requests in flight, and bad-words lists of
 * 1, 100 and 1,000 phrases taken from the model's own output, over many streams at once.
 */

import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  invoke,
  invokeOneByOne,
  invokeStream,
  startTestEngine,
  textsOf,
} from '../helpers/engine.js';
import type { SseEvent } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { freePort } from '../helpers/ports.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What `/ping` answers: a status, or 'refused' when nothing listens. */
async function ping(url: string): Promise<number | 'refused'> {
  return fetch(`${url}/ping`).then((response) => response.status, () => 'refused' as const);
}

/**
 * `engine/main.ts` as its own process, as `npm run engine` starts it; `answers` lists the
 * `/ping` answers seen while it started, each change once, in order.
 */
async function spawnEngine(env: Record<string, string>, waitReady = true) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'engine/main.ts'], {
    env: { ...process.env, MODEL_PATH: SHARED_TINY_MODEL, ENGINE_PORT: String(port),
      ENGINE_SLOTS: '8', ENGINE_CONTEXT_SIZE: '1100', ENGINE_DRAIN_GRACE_MS: '20000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const url = `http://127.0.0.1:${port}`;
  const answers: Array<number | 'refused'> = [];
  for (let tries = 0; waitReady && tries < 600 && child.exitCode === null; tries++) {
    const answer = await ping(url);
    if (answers.at(-1) !== answer) answers.push(answer);
    if (answer === 200) break;
    await sleep(50);
  }

  const lines = () => log.split('\n').filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { child, url, lines, exited, answers, log: () => log };
}

/** Process ids whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n').map((line) => Number(line.trim())).filter((child) => child > 0);
  } catch {
    return [];
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends a process this file started, if it still runs. */
function stopProcess(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (pid !== undefined && isAlive(pid)) process.kill(pid, signal);
}

const PROMPTS = ['Spring tea shop headline:', 'Cold brew oolong, no sugar.',
  'Jasmine soda for summer', '山茶冷泡乌龙，0糖', 'A slogan for running shoes:',
  'Headphones for the commute —'];

/** An engine request body; greedy and 64 tokens unless `extra` says otherwise. */
interface Request {
  prompt: string;
  max_new_tokens: number;
  temperature: number;
  ignore_eos: boolean;
  bad_words?: string[];
  [setting: string]: unknown;
}

const greedy = (prompt: string, extra: Partial<Request> = {}): Request =>
  ({ prompt, max_new_tokens: 64, temperature: 0, ignore_eos: true, ...extra });

const streamedTexts = (events: SseEvent[]) => {
  const byIndex: string[] = [];
  for (const event of events.filter((e) => e.event === 'token')) {
    byIndex[event.data.index] = (byIndex[event.data.index] ?? '') + event.data.text;
  }
  return byIndex;
};

/** Whole code points of `text` from `start`, `length` long (never half a surrogate pair). */
const slice = (text: string, start: number, length: number) =>
  Array.from(text).slice(start, start + length).join('');

/**
 * Phrase lists built from the model's own unbanned output, so that each would appear without the
 * ban: spans over token edges, phrases that are prefixes of others, overlapping ones, unicode and
 * one-byte phrases. A deterministic generator picks the spans.
 */
function phraseLists(outputs: string[]) {
  let seed = 12345;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const pick = () => outputs[Math.floor(random() * outputs.length)] as string;
  const span = (length: number) => {
    const text = pick();
    const chars = Array.from(text).length;
    return slice(text, Math.floor(random() * Math.max(1, chars - length)), length);
  };

  const first = outputs[0] as string;
  const one = [slice(first, 10, 6)];

  const hundred = new Set<string>(one);
  // A phrase and its own prefixes and extensions; overlapping windows of one text.
  for (let length = 2; length <= 9; length++) hundred.add(slice(first, 30, length));
  for (let start = 40; start < 60; start += 3) hundred.add(slice(first, start, 5));
  // Unicode characters and one-byte phrases the model wrote.
  const nonAscii = [...new Set(Array.from(outputs.join('')).filter((c) => c > '\u007f'))];
  for (const char of nonAscii.slice(0, 12)) hundred.add(char);
  // The three rarest ASCII letters of the output, so the bans change little else.
  const letters = outputs.join('').match(/[A-Za-z]/g) ?? [];
  const counts = new Map<string, number>();
  for (const letter of letters) counts.set(letter, (counts.get(letter) ?? 0) + 1);
  const rarest = [...counts].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  for (const [letter] of rarest.slice(0, 3)) hundred.add(letter);
  while (hundred.size < 100) hundred.add(span(2 + Math.floor(random() * 10)));

  const thousand = new Set<string>(hundred);
  while (thousand.size < 1000) thousand.add(span(2 + Math.floor(random() * 16)));

  return { one, hundred: [...hundred].filter((p) => p.length > 0).slice(0, 100),
    thousand: [...thousand].filter((p) => p.length > 0).slice(0, 1000) };
}

describe('One-lane engine process against the default pool, with bad words', () => {
  let oneLane: Awaited<ReturnType<typeof spawnEngine>>;
  let reference: Awaited<ReturnType<typeof startTestEngine>>;
  let lists: ReturnType<typeof phraseLists>;
  let unbanned: string[];

  beforeAll(async () => {
    oneLane = await spawnEngine({ ENGINE_LANES: '1', ENGINE_THREADS: '1' });
    reference = await startTestEngine(SHARED_TINY_MODEL, { lanes: 1, slots: 8,
      contextSize: 1100, maxNewTokens: 1000 });
    unbanned = await Promise.all(PROMPTS.map(async (prompt) =>
      textsOf((await invoke(reference.url, greedy(prompt))).body)[0] as string));
    lists = phraseLists(unbanned);
  }, 120_000);

  afterAll(async () => {
    stopProcess(oneLane?.child.pid);
    await oneLane?.exited;
    await reference?.close();
  });

  it('serves from a one-thread-pool child; /ping is refused while the layout is measured',
    async () => {
      // The child may answer /ping a moment before its log line has come through the pipe.
      const servingLine = () => oneLane.lines().find((line) => line.message === 'engine serving');
      for (let tries = 0; tries < 100 && !servingLine(); tries++) await sleep(50);
      const serving = servingLine();

      expect(serving).toMatchObject({ lanes: 1, threads: 1, samples_queue_behind_decode: true });
      expect(childrenOf(oneLane.child.pid as number).length).toBeGreaterThanOrEqual(1);
      // Refused while the parent measures, then 503 (loading) at most while the child loads.
      // How many of these a loaded machine lets the poll see varies, so only their kinds and the
      // last are checked.
      const seen = oneLane.answers.join(',');
      expect(oneLane.answers.every((answer) => ['refused', 503, 200].includes(answer)), seen)
        .toBe(true);
      expect(oneLane.answers.at(-1), seen).toBe(200);
    });

  it('builds lists of 1, 100 and 1,000 phrases that the unbanned output holds', () => {
    const all = unbanned.join('\n');

    expect(lists.one).toHaveLength(1);
    expect(lists.hundred).toHaveLength(100);
    expect(lists.thousand).toHaveLength(1000);
    expect(lists.hundred.filter((phrase) => all.includes(phrase))).toHaveLength(100);
    expect(lists.hundred.some((phrase) => new TextEncoder().encode(phrase).length === 1))
      .toBe(true);
    expect(lists.hundred.some((phrase) => /[^\u0000-\u007f]/.test(phrase))).toBe(true);
  });

  it('never writes a banned phrase in 36 streams at once, and streams equal the default pool',
    async () => {
      // GIVEN every prompt with each list, greedy, and seeded sampling with two candidates
      const requests = Object.values(lists).flatMap((phrases) => PROMPTS.flatMap((prompt) => [
        greedy(prompt, { bad_words: phrases }),
        greedy(prompt, { bad_words: phrases, temperature: 0.9, top_k: 40, seed: 7, n: 2 }),
      ]));

      // WHEN they all stream at once from the one-lane child, and go to the reference one by one
      // (answers alone are the sound reference: no step of theirs samples beside another)
      const streamed = await Promise.all(requests.map((r) => invokeStream(oneLane.url, r)));
      const plain = await invokeOneByOne(reference.url, requests);

      // THEN each stream joins to its done text, equals the default pool's, and holds no phrase
      requests.forEach((request, i) => {
        const events = streamed[i] as SseEvent[];
        const done = events.find((event) => event.event === 'done')?.data;
        expect(done, JSON.stringify(events.at(-1))).toBeDefined();
        const texts = textsOf(done);
        expect(streamedTexts(events)).toEqual(texts);
        expect(texts).toEqual(textsOf((plain[i] as { body: any }).body));
        // Sampled candidates write stray bytes inside phrases now and then; the ban matches the
        // text as shown, without them, so it holds for those as well.
        for (const text of texts) {
          expect((request.bad_words ?? []).filter((phrase) => text.includes(phrase))).toEqual([]);
        }
      });
    }, 300_000);

  it('changes the output exactly where a phrase was due', async () => {
    // The one-phrase list: the unbanned text holds it, the banned text keeps what came before
    const phrase = lists.one[0] as string;
    const before = (unbanned[0] as string).slice(0, (unbanned[0] as string).indexOf(phrase));

    const banned = textsOf((await invoke(oneLane.url,
      greedy(PROMPTS[0] as string, { bad_words: lists.one }))).body)[0] as string;

    expect(banned).not.toContain(phrase);
    expect(banned.startsWith(before.slice(0, -16))).toBe(true);
    expect(banned).not.toBe(unbanned[0]);
  });

  it('answers 400 to 1,025 phrases and to an empty phrase', async () => {
    const tooMany = Array.from({ length: 1025 }, (_, i) => `phrase ${i}`);

    const many = await invoke(oneLane.url, greedy('Tea', { bad_words: tooMany }));
    const empty = await invoke(oneLane.url, greedy('Tea', { bad_words: [''] }));

    expect(many.status).toBe(400);
    expect(many.body.error).toMatch(/bad_words/);
    expect(empty.status).toBe(400);
  });
});

describe('Engine process started with odd settings', () => {
  it.each([
    ['UV_THREADPOOL_SIZE', 'abc'],
    ['ENGINE_THREADS', '-1'],
    ['ENGINE_LANES', '1.5'],
  ])('exits 1 naming %s=%s, without listening', async (name, value) => {
    const engine = await spawnEngine({ [name]: value }, false);

    expect(await engine.exited).toBe(1);
    const failure = engine.lines().find((line) => line.message === 'engine failed to start');
    expect(String(failure?.error)).toContain(`${name} must be a whole number`);
    expect(await ping(engine.url)).toBe('refused');
  });

  it('runs two lanes on a one-thread pool (UV_THREADPOOL_SIZE=1, ENGINE_LANES=2) with the ' +
    'default pool\'s greedy text', async () => {
    const engine = await spawnEngine({ UV_THREADPOOL_SIZE: '1', ENGINE_LANES: '2',
      ENGINE_THREADS: '1' });
    const reference = await startTestEngine(SHARED_TINY_MODEL, { lanes: 1, slots: 8,
      contextSize: 1100 });

    try {
      const serving = engine.lines().find((line) => line.message === 'engine serving');
      expect(serving).toMatchObject({ lanes: 2, samples_queue_behind_decode: true });
      // No second process: the pool size was given.
      expect(childrenOf(engine.child.pid as number)).toEqual([]);

      const requests = PROMPTS.map((prompt) => greedy(prompt, { bad_words: ['e t', 'an'] }));
      const served = await Promise.all(requests.map((request) => invoke(engine.url, request)));
      const plain = await invokeOneByOne(reference.url, requests);
      expect(served.map((r) => textsOf(r.body))).toEqual(plain.map((r) => textsOf(r.body)));
    } finally {
      stopProcess(engine.child.pid);
      await engine.exited;
      await reference.close();
    }
  }, 120_000);
});

describe('Engine parent killed outright with requests in flight', () => {
  it('lets the serving child finish every request, then exit and free the port', async () => {
    // GIVEN a one-lane engine (parent and serving child) with eight long streams running
    const engine = await spawnEngine({ ENGINE_LANES: '1', ENGINE_THREADS: '1' });
    const [servingChild] = childrenOf(engine.child.pid as number);
    expect(servingChild).toBeDefined();

    try {
      const streams = PROMPTS.concat(PROMPTS.slice(0, 2)).map((prompt) =>
        invokeStream(engine.url, greedy(prompt, { max_new_tokens: 1000 })));
      await sleep(150);

      // WHEN the parent gets a SIGKILL, which it cannot pass on
      engine.child.kill('SIGKILL');
      const events = await Promise.all(streams);

      // THEN every stream ran to its length, the child exits and nothing listens any more
      for (const stream of events) {
        expect(stream.at(-1)?.data.generations[0]).toMatchObject({ finish_reason: 'length',
          completion_tokens: 1000 });
      }
      for (let tries = 0; tries < 100 && isAlive(servingChild as number); tries++) {
        await sleep(100);
      }
      expect(isAlive(servingChild as number)).toBe(false);
      expect(await ping(engine.url)).toBe('refused');
    } finally {
      stopProcess(servingChild, 'SIGKILL');
    }
  }, 120_000);
});

describe('Engine process drain and SageMaker-style model folder', () => {
  it('finishes every running request on one SIGTERM, refuses new ones, and exits 0', async () => {
    // GIVEN a one-lane engine (serving child) with six long requests running
    const engine = await spawnEngine({ ENGINE_LANES: '1', ENGINE_THREADS: '1' });
    const [servingChild] = childrenOf(engine.child.pid as number);
    const running = PROMPTS.map((prompt) =>
      invoke(engine.url, greedy(prompt, { max_new_tokens: 1000 })));
    await sleep(150);

    try {
      // WHEN the parent gets one SIGTERM
      engine.child.kill('SIGTERM');
      await sleep(100);
      const late = await invoke(engine.url, greedy('Tea', { max_new_tokens: 2 }));

      // THEN new work gets 503 draining, the running requests finish whole, both processes end
      expect(late.status).toBe(503);
      expect(late.body.error_type).toBe('draining');
      for (const response of await Promise.all(running)) {
        expect(response.body.generations[0]).toMatchObject({ finish_reason: 'length',
          completion_tokens: 1000 });
      }
      expect(await engine.exited).toBe(0);
      expect(isAlive(servingChild as number)).toBe(false);
    } finally {
      stopProcess(servingChild, 'SIGKILL');
    }
  }, 120_000);

  it('refuses to start when MODEL_DIR holds no .gguf, not serving the dev model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'adcopy-empty-'));
    try {
      const engine = await spawnEngine({ MODEL_PATH: '', MODEL_DIR: dir }, false);

      expect(await engine.exited).toBe(1);
      const failure = engine.lines().find((line) => line.message === 'engine failed to start');
      expect(String(failure?.error)).toContain(`MODEL_DIR=${dir} holds no .gguf file`);
    } finally {
      await rm(dir, { recursive: true });
    }
  }, 60_000);

  it('serves a .gguf one folder down in MODEL_DIR, where an unpacked archive may hold it',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'adcopy-nested-'));
      await mkdir(join(dir, 'model'));
      await symlink(SHARED_TINY_MODEL, join(dir, 'model', 'tiny.gguf'));
      const engine = await spawnEngine({ MODEL_PATH: '', MODEL_DIR: dir, ENGINE_LANES: '2',
        ENGINE_THREADS: '1' });

      try {
        const response = await invoke(engine.url, greedy('Tea', { max_new_tokens: 4 }));
        expect(response.status).toBe(200);
        expect(response.body.model).toBe('LLaMA v2');
      } finally {
        stopProcess(engine.child.pid);
        await engine.exited;
        await rm(dir, { recursive: true });
      }
    }, 120_000);

  it('serves the first .gguf of MODEL_DIR, also in a folder whose name has a space', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'adcopy model '));
    await symlink(SHARED_TINY_MODEL, join(dir, 'b.gguf'));
    await symlink(SHARED_TINY_MODEL, join(dir, 'a.gguf'));
    const engine = await spawnEngine({ MODEL_PATH: '', MODEL_DIR: dir, ENGINE_LANES: '1',
      ENGINE_THREADS: '1' });

    try {
      const response = await invoke(engine.url, greedy('Tea', { max_new_tokens: 4 }));

      expect(response.status).toBe(200);
      expect(response.body.model).toBe('LLaMA v2');
      const loaded = engine.lines().filter((line) => line.message === 'model loaded');
      expect(loaded.map((line) => line.model_path)).toEqual([join(dir, 'a.gguf'),
        join(dir, 'a.gguf')]);
    } finally {
      stopProcess(engine.child.pid);
      await engine.exited;
      await rm(dir, { recursive: true });
    }
  }, 120_000);
});
