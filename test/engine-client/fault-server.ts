/**
 * @module test/engine-client/fault-server
 * A small scripted HTTP server on 127.0.0.1 that answers like the engine, or like SageMaker Runtime
 * in AWS's error wire format, so fault classification crosses real HTTP (and the real AWS SDK).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { afterAll, beforeAll, beforeEach } from 'vitest';

import type { EngineResponse } from '../../layers/engine-client/index.js';

/** What the server saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Resolves when the client closes the connection before the answer ended. */
  aborted: Promise<void>;
}

/** Answers one request. */
export type Answer = (res: ServerResponse, req: SeenRequest) => void | Promise<void>;

/** A running scripted server. */
export interface FaultServer {
  url: string;
  /** Every request so far, in arrival order. */
  seen: SeenRequest[];
  /** Queues answers for the next requests; the last one repeats once the queue runs dry. */
  script(...answers: Answer[]): void;
  close(): Promise<void>;
}

/** A JSON answer with a status and extra headers. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

/** A SageMaker Runtime error in AWS's REST-JSON wire format: the type travels in a header. */
export function awsError(
  status: number,
  errorType: string,
  body: Record<string, unknown> = {},
): Answer {
  return (res) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazon.sagemaker/`,
      'x-amzn-requestid': 'test-request-id',
    });
    res.end(JSON.stringify(body));
  };
}

/** Writes raw chunks with a pause between them, so the client receives them one by one. */
export function chunks(
  status: number,
  contentType: string,
  parts: Array<string | Uint8Array>,
): Answer {
  return async (res) => {
    res.writeHead(status, { 'content-type': contentType });
    for (const part of parts) {
      res.write(part);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    res.end();
  };
}

const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => new TextEncoder().encode(text),
);

/** One event of AWS's event-stream framing: a payload part, or a stream error. */
export type AwsStreamEvent =
  | { payload: string | Uint8Array }
  | { exception: 'ModelStreamError' | 'InternalStreamFailure'; message: string };

/** Encodes one event as InvokeEndpointWithResponseStream frames it. */
function encodeAwsEvent(event: AwsStreamEvent): Uint8Array {
  const str = (value: string) => ({ type: 'string' as const, value });
  if ('payload' in event) {
    const body = typeof event.payload === 'string' ? Buffer.from(event.payload) : event.payload;
    return codec.encode({
      headers: {
        ':message-type': str('event'),
        ':event-type': str('PayloadPart'),
        ':content-type': str('application/octet-stream'),
      },
      body,
    });
  }
  return codec.encode({
    headers: {
      ':message-type': str('exception'),
      ':exception-type': str(event.exception),
      ':content-type': str('application/json'),
    },
    body: Buffer.from(JSON.stringify({ Message: event.message })),
  });
}

/** A SageMaker response stream: each event in its own frame, sent with a pause between. */
export function awsStream(events: AwsStreamEvent[], variant = 'AllTraffic'): Answer {
  return async (res) => {
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-sagemaker-content-type': 'text/event-stream',
      'x-amzn-invoked-production-variant': variant,
    });
    for (const event of events) {
      res.write(encodeAwsEvent(event));
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    res.end();
  };
}

/** Never answers until the client goes away. */
export const hang: Answer = async (_res, req) => {
  await req.aborted;
};

/** Starts the server on a free loopback port. */
export async function startFaultServer(): Promise<FaultServer> {
  const queue: Answer[] = [];
  const seen: SeenRequest[] = [];
  let last: Answer = json(500, { error: 'no answer scripted', error_type: 'test' });

  const server: Server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const aborted = new Promise<void>((resolve) =>
      res.once('close', () => (res.writableFinished ? undefined : resolve())),
    );
    const request: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(parts).toString('utf8'),
      aborted,
    };
    seen.push(request);

    const answer = queue.shift() ?? last;
    if (queue.length === 0) last = answer;
    await answer(res, request);
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    seen,
    script: (...answers) => {
      queue.length = 0;
      queue.push(...answers);
      last = answers.at(-1) ?? last;
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * Starts a fault server for the calling test file, forgets its requests before each test, and
 * closes it after the file.
 * @returns a getter, since the server starts in `beforeAll`
 */
export function useFaultServer(): () => FaultServer {
  let server: FaultServer | undefined;

  beforeAll(async () => {
    server = await startFaultServer();
  });
  beforeEach(() => {
    if (server) server.seen.length = 0;
  });
  afterAll(async () => {
    await server?.close();
  });

  return () => {
    if (!server) throw new Error('the fault server is not started yet');
    return server;
  };
}

/** A well-formed engine answer with one candidate. */
export function engineAnswer(text: string, id = 'gen_test'): EngineResponse {
  return {
    id,
    model: 'adcopy-dev (random weights: writes random text)',
    generations: [{ index: 0, text, finish_reason: 'stop', completion_tokens: 2 }],
    usage: { prompt_tokens: 12, cached_prompt_tokens: 8, completion_tokens: 2 },
    timings: { queue_ms: 0.2, ttft_ms: 3, total_ms: 6 },
  };
}

/** The real SDK client with only its endpoint pointed at a local server, and dummy credentials. */
export function localSageMakerClient(endpoint: string): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
    maxAttempts: 1,
  });
}
