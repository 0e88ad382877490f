/**
 * @module engine-client/sagemaker-engine
 * The production engine client: SageMaker Runtime's InvokeEndpoint and
 * InvokeEndpointWithResponseStream, with the same errors, retries and deadlines as the HTTP client.
 */
import {
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
  SageMakerRuntimeClient,
  type ResponseStream,
} from '@aws-sdk/client-sagemaker-runtime';

import { EngineBase, type Attempt, type EngineClientOptions } from './engine-base.js';
import {
  DEFAULT_RETRY_AFTER_S,
  EngineError,
  engineErrorFromAnswer,
  isEngineCallError,
  type EngineCallError,
} from './errors.js';
import { readEngineResponse, toStreamEvents } from './response.js';
import { parseSse } from './sse.js';
import type { EngineResponse, EngineStreamEvent } from './types.js';

/** Options of {@link SageMakerEngine}. */
export interface SageMakerEngineOptions extends EngineClientOptions {
  /** The SageMaker endpoint to invoke. */
  endpointName: string;
  /**
   * A client to use. Give it `maxAttempts: 1`: this class retries by itself within each call's
   * deadline, and the SDK's own retries would not know about it.
   * @default a client for `region` with `maxAttempts: 1`
   */
  client?: SageMakerRuntimeClient;
  /** Region of the default client. @default the SDK's own lookup (AWS_REGION, profile) */
  region?: string;
  /** Production variant of calls that name none. @default SageMaker's weighted choice */
  defaultTargetVariant?: string;
}

/** Error names under which AWS reports throttling; SageMaker's arrives as a 400 with no message. */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
]);

/** Service-side faults that pass: another attempt may land on a healthy host. */
const TRANSIENT = new Set(['InternalFailure', 'ServiceUnavailable', 'InternalDependencyException']);

/** The fields of an AWS SDK error this client reads. */
interface AwsErrorShape {
  name?: string;
  message?: string;
  OriginalStatusCode?: number;
  OriginalMessage?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
  /** The engine's own error body, which the SDK spreads onto an error it has no model for. */
  error?: string;
  error_type?: string;
  $retryable?: { throttling?: boolean };
}

/**
 * Maps an AWS SDK error to the client's error, by error name rather than HTTP status, because
 * SageMaker sends throttling as a 400 (case 14). A `ModelError` carries the container's own answer,
 * which is mapped exactly as the HTTP client maps it.
 */
export function classifySageMakerError(err: unknown): EngineCallError {
  const aws = (err ?? {}) as AwsErrorShape;
  const name = aws.name ?? '';
  const detail = aws.message || name || 'no message';

  const status = aws.$metadata?.httpStatusCode;
  if (typeof aws.error_type === 'string' && status !== undefined) {
    // the engine container answered directly (its local SageMaker paths), not wrapped by SageMaker
    const body = JSON.stringify({ error: aws.error, error_type: aws.error_type });
    return engineErrorFromAnswer(status, body, aws.$response?.headers?.['retry-after']);
  }
  if (name === 'ModelError') {
    return engineErrorFromAnswer(aws.OriginalStatusCode ?? 500, aws.OriginalMessage ?? detail);
  }
  if (name === 'ModelNotReadyException') {
    return new EngineError(503, 'engine_loading', `SageMaker model is not ready: ${detail}`, {
      retryable: true,
      retryAfterS: DEFAULT_RETRY_AFTER_S,
      cause: err,
    });
  }
  if (THROTTLING.has(name) || aws.$retryable?.throttling || aws.$metadata?.httpStatusCode === 429) {
    return new EngineError(503, 'engine_throttled', `SageMaker is throttling requests (${name})`, {
      retryable: true,
      retryAfterS: DEFAULT_RETRY_AFTER_S,
      cause: err,
    });
  }
  if (TRANSIENT.has(name)) {
    return new EngineError(503, 'engine_unavailable', `SageMaker failed (${name}): ${detail}`, {
      retryable: true,
      retryAfterS: DEFAULT_RETRY_AFTER_S,
      cause: err,
    });
  }
  if (name === 'ValidationError') {
    // a missing endpoint or variant: the deployment is wrong, not the brief
    return new EngineError(502, 'endpoint_invalid', `SageMaker refused the call: ${detail}`, {
      cause: err,
    });
  }
  if (name === 'ModelStreamError' || name === 'InternalStreamFailure') {
    return new EngineError(502, 'stream_failed', `SageMaker stream failed (${name}): ${detail}`, {
      cause: err,
    });
  }
  if (status === undefined) {
    // no HTTP answer at all: DNS, connection refused or reset
    return new EngineError(502, 'engine_unreachable', `SageMaker could not be reached: ${detail}`, {
      retryable: true,
      cause: err,
    });
  }
  return new EngineError(502, 'engine_failed', `SageMaker call failed (${name}): ${detail}`, {
    cause: err,
  });
}

/** The payload bytes of a response stream; error members are raised as the errors they are. */
async function* payloadBytes(stream: AsyncIterable<ResponseStream>): AsyncGenerator<Uint8Array> {
  for await (const part of stream) {
    if (part.PayloadPart?.Bytes) yield part.PayloadPart.Bytes;
    const failure = part.ModelStreamError ?? part.InternalStreamFailure;
    if (failure) throw failure;
  }
}

/**
 * Invokes a SageMaker endpoint whose container speaks engine/PROTOCOL.md. Streams travel as
 * server-sent-event bytes inside `PayloadPart` events; they are re-decoded with the same UTF-8-safe
 * parser as the HTTP client, so a character split across parts arrives whole (case 18).
 * @example
 * const engine = new SageMakerEngine({ endpointName: 'adcopy-prod', region: 'eu-west-1' });
 * const answer = await engine.generate(request, { targetVariant: 'B', deadlineMs: 8000 });
 */
export class SageMakerEngine extends EngineBase {
  readonly name: string;
  readonly endpointName: string;
  private readonly client: SageMakerRuntimeClient;
  private readonly defaultTargetVariant: string | undefined;

  constructor(options: SageMakerEngineOptions) {
    super(options);
    if (!options.endpointName) throw new TypeError('SageMakerEngine needs an endpointName');

    this.endpointName = options.endpointName;
    this.name = `sagemaker:${options.endpointName}`;
    this.defaultTargetVariant = options.defaultTargetVariant;
    this.client =
      options.client ??
      new SageMakerRuntimeClient({
        maxAttempts: 1,
        ...(options.region ? { region: options.region } : {}),
      });
  }

  /** @inheritdoc InvokeEndpoint, with the production variant that answered. */
  protected async sendOnce(attempt: Attempt): Promise<EngineResponse> {
    const command = new InvokeEndpointCommand(this.input(attempt, false));
    const output = await this.client
      .send(command, { abortSignal: attempt.signal })
      .catch((err: unknown) => {
        throw attempt.signal.aborted ? err : classifySageMakerError(err);
      });

    const text = new TextDecoder().decode(output.Body);
    const response = readEngineResponse(text, attempt.callDeadlineMs);
    return withVariant(response, output.InvokedProductionVariant);
  }

  /** @inheritdoc InvokeEndpointWithResponseStream. */
  protected async openStreamOnce(attempt: Attempt): Promise<AsyncIterable<EngineStreamEvent>> {
    const command = new InvokeEndpointWithResponseStreamCommand(this.input(attempt, true));
    const output = await this.client
      .send(command, { abortSignal: attempt.signal })
      .catch((err: unknown) => {
        throw attempt.signal.aborted ? err : classifySageMakerError(err);
      });
    if (!output.Body) {
      throw new EngineError(502, 'bad_engine_response', 'SageMaker stream has no body');
    }

    const events = toStreamEvents(parseSse(payloadBytes(output.Body)), attempt.callDeadlineMs);
    return withStreamVariant(events, output.InvokedProductionVariant);
  }

  /** Errors the SDK raises while a stream is read (ModelStreamError and the like). */
  protected override mapError(err: unknown): unknown {
    return isEngineCallError(err) ? err : classifySageMakerError(err);
  }

  /** The command input shared by both calls. */
  private input(attempt: Attempt, stream: boolean) {
    const { request, options, deadlineMs } = attempt;
    const targetVariant = options.targetVariant ?? this.defaultTargetVariant;
    const body = JSON.stringify({ ...request, stream, deadline_ms: deadlineMs });
    return {
      EndpointName: this.endpointName,
      ContentType: 'application/json',
      Accept: stream ? 'text/event-stream' : 'application/json',
      Body: new TextEncoder().encode(body),
      ...(targetVariant ? { TargetVariant: targetVariant } : {}),
      // SageMaker hands custom attributes to the container, so its logs can carry our request id
      ...(attempt.headerRequestId
        ? { CustomAttributes: `request_id=${attempt.headerRequestId}` }
        : {}),
    };
  }
}

/** Adds the answering production variant, when SageMaker named one. */
function withVariant(response: EngineResponse, variant: string | undefined): EngineResponse {
  return variant ? { ...response, invoked_variant: variant } : response;
}

/** Adds the answering production variant to a stream's `done` event. */
async function* withStreamVariant(
  events: AsyncIterable<EngineStreamEvent>,
  variant: string | undefined,
): AsyncGenerator<EngineStreamEvent> {
  for await (const event of events) {
    yield event.type === 'done'
      ? { type: 'done', response: withVariant(event.response, variant) }
      : event;
  }
}
