/**
 * @module observability
 * The concrete logger of every entry point (API, batch, engine): Powertools' structured JSON with
 * fixed snake_case keys. Library-like modules take a narrower injected logger instead.
 */
import { Logger } from '@aws-lambda-powertools/logger';

/**
 * A JSON logger for `serviceName`. The level comes from the environment (`POWERTOOLS_LOG_LEVEL`,
 * or Lambda's own log level), never from code edits.
 *
 * @example
 * const logger = createLogger('adcopy-api');
 * logger.info('request', { request_id: requestId, status: 200 });
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

export type { Logger };

/** The narrow logger library-like modules accept: a message and optional attributes. */
export interface FieldLogger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/**
 * Adapts a Powertools logger to {@link FieldLogger} (Powertools wants its attributes argument
 * present or absent, never `undefined`).
 */
export function fieldLogger(logger: Logger): FieldLogger {
  return {
    debug: (message, attributes) => logger.debug(message, attributes ?? {}),
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    error: (message, attributes) => logger.error(message, attributes ?? {}),
  };
}
