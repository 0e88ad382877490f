/**
 * @module engine-client
 * The one `Engine` interface the functions use, with its HTTP and SageMaker Runtime clients.
 */
export { CallScope, DEFAULT_DEADLINE_MS, type RetryPolicy } from './call-scope.js';
export {
  CircuitBreaker,
  isEngineFault,
  withCircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
  type CircuitStateChange,
  type CircuitTicket,
} from './circuit-breaker.js';
export { EngineBase, type Attempt, type EngineClientOptions } from './engine-base.js';
export {
  DEFAULT_RETRY_AFTER_S,
  EngineError,
  EngineRejectedError,
  engineErrorFromAnswer,
  isEngineCallError,
  parseRetryAfter,
  type EngineCallError,
  type EngineErrorOptions,
  type EngineFaultStatus,
} from './errors.js';
export { createEngineFromEnv, type EngineEnv, type EngineFromEnvOptions } from './from-env.js';
export { HttpEngine, type HttpEngineOptions } from './http-engine.js';
export {
  classifySageMakerError,
  SageMakerEngine,
  type SageMakerEngineOptions,
} from './sagemaker-engine.js';
export { parseSse, type SseEvent } from './sse.js';
export {
  silentLogger,
  type CallOptions,
  type ChatMessage,
  type Engine,
  type EngineLogger,
  type EngineRequest,
  type EngineResponse,
  type EngineStreamEvent,
  type EngineTimings,
  type EngineUsage,
  type FinishReason,
  type Generation,
} from './types.js';
