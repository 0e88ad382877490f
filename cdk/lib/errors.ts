import type { IConstruct } from 'constructs';

/**
 * A prop or context value the adcopy constructs cannot build from. `code` is stable for tests;
 * the message names the construct path, the value received and what was expected.
 *
 * @example
 * throw new ConfigurationError('BadScalingRange', 'minInstances (5) > maxInstances (3)', this);
 */
export class ConfigurationError extends Error {
  /** Stable code of the mistake, such as `UnknownInstanceType`. */
  public readonly code: string;

  constructor(code: string, message: string, scope?: IConstruct) {
    super(scope ? `${scope.node.path}: ${message}` : message);
    this.name = 'ConfigurationError';
    this.code = code;
  }
}
