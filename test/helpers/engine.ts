import type { EngineOptions, RunningEngine } from '../../engine/index.js';
import { startEngine } from '../../engine/index.js';

/** A logger that keeps what it is told, for tests that check log lines. */
export class MemoryLogger {
  readonly lines: Array<{ level: string; message: string; extra: Record<string, unknown> }> = [];

  debug(message: string, ...extra: Array<Record<string, unknown>>): void {
    this.#keep('debug', message, extra);
  }
  info(message: string, ...extra: Array<Record<string, unknown>>): void {
    this.#keep('info', message, extra);
  }
  warn(message: string, ...extra: Array<Record<string, unknown>>): void {
    this.#keep('warn', message, extra);
  }
  error(message: string, ...extra: Array<Record<string, unknown>>): void {
    this.#keep('error', message, extra);
  }

  #keep(level: string, message: string, extra: Array<Record<string, unknown>>): void {
    this.lines.push({ level, message, extra: Object.assign({}, ...extra) });
  }
}

/**
 * Starts a real engine on `modelPath` on an ephemeral loopback port, with small test defaults
 * (4 slots, 1 thread, 512 cells per slot, no embedded-metric lines; lanes are measured).
 */
export async function startTestEngine(
  modelPath: string,
  options: Partial<Omit<EngineOptions, 'modelPath'>> = {},
): Promise<RunningEngine & { logger: MemoryLogger }> {
  const logger = new MemoryLogger();
  const engine = await startEngine({
    port: 0,
    slots: 4,
    contextSize: 512,
    threads: 1,
    emfIntervalMs: 0,
    logger,
    ...options,
    modelPath,
  });

  return Object.assign(engine, { logger: options.logger as MemoryLogger ?? logger });
}

/** POSTs a JSON body to `/invocations` and returns status and parsed body. */
export async function invoke(url: string, body: unknown, init: RequestInit = {}) {
  const response = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...init,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}

/** POSTs each body in turn, each after the last answer: every request runs alone. */
export async function invokeOneByOne(url: string, bodies: readonly unknown[]) {
  const answers = [];
  for (const body of bodies) answers.push(await invoke(url, body));
  return answers;
}

/** The texts of an answer body's generations, in order; none for an error body. */
export function textsOf(body: { generations?: Array<{ text: string }> } | undefined): string[] {
  return body?.generations?.map((generation) => generation.text) ?? [];
}

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: any;
}

/** Parses a whole server-sent-event text into events. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block.split('\n').filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6)).join('\n');
      return { event, data: JSON.parse(data) };
    });
}

/** POSTs a streaming request and returns every event once the stream ends. */
export async function invokeStream(url: string, body: object): Promise<SseEvent[]> {
  const response = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  return parseSse(await response.text());
}
