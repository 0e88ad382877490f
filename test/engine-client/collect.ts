/**
 * @module test/engine-client/collect
 * Small helpers for reading what an engine call produced.
 */
import { expect } from 'vitest';

import type { EngineStreamEvent } from '../../layers/engine-client/index.js';

/** Collects a stream's events; rejects with the error it ended with. */
export async function collect(
  events: AsyncIterable<EngineStreamEvent>,
): Promise<EngineStreamEvent[]> {
  const seen: EngineStreamEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** Reads a stream into `seen` and returns the error it ended with (failing if it ended well). */
export async function streamFailure(
  events: AsyncIterable<EngineStreamEvent>,
  seen: EngineStreamEvent[] = [],
): Promise<unknown> {
  return failure(
    (async () => {
      for await (const event of events) seen.push(event);
    })(),
  );
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

/** The text of each token event, in order. */
export function tokenTexts(events: EngineStreamEvent[]): string[] {
  return events.flatMap((event) => (event.type === 'token' ? [event.text] : []));
}
