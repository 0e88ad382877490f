/**
 * @module engine-client/response
 * Checks on what the engine sends back, shared by both clients: the response body's shape and the
 * translation of server-sent events into stream events.
 */
import { deadlineError, EngineError, engineErrorFromStreamEvent } from './errors.js';
import type { SseEvent } from './sse.js';
import type { EngineResponse, EngineStreamEvent } from './types.js';

/** A 502 for an answer that does not follow engine/PROTOCOL.md. */
function protocolError(detail: string): EngineError {
  return new EngineError(
    502,
    'bad_engine_response',
    `engine answer breaks the protocol: ${detail}`,
  );
}

/**
 * Parses and checks a response body. A candidate cut by the engine's own deadline fails the call
 * with a 504: half-written copy is no use to the pipeline.
 * @param text the JSON body
 * @param deadlineMs the call's deadline, for the 504's message
 */
export function readEngineResponse(text: string, deadlineMs: number): EngineResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw protocolError('body is not JSON');
  }

  const response = parsed as Partial<EngineResponse> | null;
  if (typeof response !== 'object' || response === null || !Array.isArray(response.generations)) {
    throw protocolError('no generations array');
  }
  if (response.generations.some((generation) => generation.finish_reason === 'deadline')) {
    throw deadlineError(deadlineMs);
  }
  return response as EngineResponse;
}

/**
 * Turns one server-sent event into a stream event; `event: error` throws the engine's fault.
 * Unknown event names are skipped so that the engine can add events without breaking clients.
 */
export function toStreamEvent(sse: SseEvent, deadlineMs: number): EngineStreamEvent | undefined {
  if (sse.event === 'error') throw engineErrorFromStreamEvent(sse.data);
  if (sse.event === 'done')
    return { type: 'done', response: readEngineResponse(sse.data, deadlineMs) };
  if (sse.event !== 'token') return undefined;

  let token: { index?: unknown; text?: unknown };
  try {
    token = JSON.parse(sse.data) as typeof token;
  } catch {
    throw protocolError('token event is not JSON');
  }
  if (typeof token.text !== 'string') throw protocolError('token event without text');
  return {
    type: 'token',
    index: typeof token.index === 'number' ? token.index : 0,
    text: token.text,
  };
}

/**
 * Re-yields parsed events as stream events and makes sure the stream ended with `done`, so a
 * connection cut mid-answer is an error rather than a silently short copy.
 */
export async function* toStreamEvents(
  events: AsyncIterable<SseEvent>,
  deadlineMs: number,
): AsyncGenerator<EngineStreamEvent> {
  for await (const sse of events) {
    const event = toStreamEvent(sse, deadlineMs);
    if (!event) continue;
    yield event;
    if (event.type === 'done') return;
  }
  throw new EngineError(502, 'stream_interrupted', 'engine stream ended before its done event');
}
