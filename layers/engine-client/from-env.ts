/**
 * @module engine-client/from-env
 * Picks the engine client from the environment, as `npm start`, the API and the batch job do.
 */
import type { RetryPolicy } from './call-scope.js';
import { HttpEngine } from './http-engine.js';
import { SageMakerEngine } from './sagemaker-engine.js';
import type { Engine, EngineLogger } from './types.js';

/** The variables {@link createEngineFromEnv} reads. */
export interface EngineEnv {
  /** Base URL of an engine container over plain HTTP. */
  ENGINE_URL?: string;
  /** SageMaker endpoint to invoke instead. */
  SAGEMAKER_ENDPOINT_NAME?: string;
  /** Production variant to pin calls to (otherwise SageMaker's weights decide). */
  SAGEMAKER_TARGET_VARIANT?: string;
  /** Region of the SageMaker client (the SDK also reads AWS_REGION itself). */
  AWS_REGION?: string;
  /** Deadline in ms of calls that set none. */
  ENGINE_DEADLINE_MS?: string;
  [name: string]: string | undefined;
}

/** Extra, non-environment settings. */
export interface EngineFromEnvOptions {
  logger?: EngineLogger;
  retry?: RetryPolicy;
}

/** Reads a positive whole number of milliseconds, naming the variable when it is not one. */
function readDeadline(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1) {
    throw new TypeError(
      `ENGINE_DEADLINE_MS must be a whole number of ms >= 1, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/**
 * The engine client the environment asks for: SageMaker when `SAGEMAKER_ENDPOINT_NAME` is set,
 * otherwise plain HTTP to `ENGINE_URL` (default `http://127.0.0.1:8080`). Setting both is refused,
 * so a deployment never talks to a forgotten local URL.
 * @param env usually `process.env`
 * @example
 * const engine = createEngineFromEnv(process.env, { logger });
 */
export function createEngineFromEnv(env: EngineEnv, options: EngineFromEnvOptions = {}): Engine {
  const endpointName = env.SAGEMAKER_ENDPOINT_NAME?.trim();
  const engineUrl = env.ENGINE_URL?.trim();
  const defaultDeadlineMs = readDeadline(env.ENGINE_DEADLINE_MS);
  const common = {
    ...options,
    ...(defaultDeadlineMs ? { defaultDeadlineMs } : {}),
  };

  if (endpointName && engineUrl) {
    throw new TypeError('set either ENGINE_URL or SAGEMAKER_ENDPOINT_NAME, not both');
  }
  if (endpointName) {
    const variant = env.SAGEMAKER_TARGET_VARIANT?.trim();
    const region = env.AWS_REGION?.trim();
    return new SageMakerEngine({
      ...common,
      endpointName,
      ...(variant ? { defaultTargetVariant: variant } : {}),
      ...(region ? { region } : {}),
    });
  }
  return new HttpEngine({ ...common, baseUrl: engineUrl || 'http://127.0.0.1:8080' });
}
