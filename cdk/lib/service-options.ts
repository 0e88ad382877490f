import { Duration } from 'aws-cdk-lib';
import type { Node } from 'constructs';

import type { AdcopyStackProps, VariantWeight } from './adcopy-stack.js';
import type { ScalingNumbers } from './variant-autoscaling.js';
import { ConfigurationError } from './errors.js';

/**
 * What the app reads from CDK context (`cdk.json` or `cdk deploy -c key=value`).
 */
export interface ServiceOptions {
  /** Region of the service stack; the edge stack is always in us-east-1. */
  readonly region?: string;

  /** Per-IP WAF limit per five minutes. */
  readonly requestsPerFiveMinutes?: number;

  /** Everything the service stack takes, except what the app wires itself. */
  readonly stack: Omit<AdcopyStackProps, 'webAclArn'>;
}

/** Context keys of the scaling numbers, in minutes, counts, percents and milliseconds. */
const SCALING_KEYS = [
  'minInstances', 'maxInstances', 'invocationsPerInstance', 'gpuHighPercent', 'gpuHighMinutes',
  'gpuScaleOutBy', 'latencyHighMs', 'latencyHighMinutes', 'latencyScaleOutBy', 'cpuLowPercent',
  'cpuLowMinutes', 'cpuScaleInBy',
] as const;

/**
 * Reads and checks the service options from context. Values from `-c` arrive as strings, those
 * from `cdk.json` as JSON values; both are accepted, and a bad one throws naming the key.
 *
 * @example
 * // cdk deploy -c instanceType=ml.g5.2xlarge -c cache=true -c variants=blue:9,green:1
 * const options = serviceOptionsFromContext(app.node);
 */
export function serviceOptionsFromContext(node: Node): ServiceOptions {
  const read = (key: string): unknown => node.tryGetContext(key);

  const scaling: Record<string, number | Duration> = {};
  for (const key of SCALING_KEYS) {
    const value = numberOption(key, read(key));
    if (value !== undefined) scaling[key] = value;
  }
  const outCooldown = numberOption('scaleOutCooldownSeconds', read('scaleOutCooldownSeconds'));
  const inCooldown = numberOption('scaleInCooldownSeconds', read('scaleInCooldownSeconds'));
  if (outCooldown !== undefined) scaling.scaleOutCooldown = Duration.seconds(outCooldown);
  if (inCooldown !== undefined) scaling.scaleInCooldown = Duration.seconds(inCooldown);

  const vcpus = numberOption('vcpusPerInstance', read('vcpusPerInstance'));
  const gpus = numberOption('gpusPerInstance', read('gpusPerInstance'));
  return {
    region: stringOption('region', read('region')),
    requestsPerFiveMinutes: numberOption('requestsPerFiveMinutes', read('requestsPerFiveMinutes')),
    stack: {
      instanceType: stringOption('instanceType', read('instanceType')),
      modelFileName: stringOption('modelFile', read('modelFile')),
      instanceShape: vcpus !== undefined && gpus !== undefined ? { vcpus, gpus } : undefined,
      variants: variantsOption(read('variants')),
      scaling: scaling as ScalingNumbers,
      cache: booleanOption('cache', read('cache')),
      batchConcurrency: numberOption('batchConcurrency', read('batchConcurrency')),
      outputRetentionDays: numberOption('outputRetentionDays', read('outputRetentionDays')),
      retainData: booleanOption('retainData', read('retainData')),
      alarmEmail: stringOption('alarmEmail', read('alarmEmail')),
    },
  };
}

function numberOption(key: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;

  const isNumeral = typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value);
  const number = isNumeral ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw badContext(key, 'a number', value);
  }
  return number;
}

function booleanOption(key: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw badContext(key, 'true or false', value);
}

function stringOption(key: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') return value;
  throw badContext(key, 'a string', value);
}

/** `blue:9,green:1` (or the same as a JSON list of {name, weight}) into variants. */
function variantsOption(value: unknown): VariantWeight[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    return value.map((item) => {
      if (typeof item?.name !== 'string') {
        throw badContext('variants', 'a list of {name, weight}', value);
      }
      const weight = numberOption(`variants weight of ${item.name}`, item.weight);
      return { name: item.name, weight: weight ?? 1 };
    });
  }
  if (typeof value !== 'string') {
    throw badContext('variants', 'like blue:1,green:1', value);
  }

  return value.split(',').map((pair) => {
    const [name = '', weight = '1'] = pair.trim().split(':');
    return { name, weight: numberOption(`variants weight of ${name}`, weight) ?? 1 };
  });
}

function badContext(key: string, expected: string, value: unknown): ConfigurationError {
  const message = `context ${key} must be ${expected}, got ${JSON.stringify(value)}`;
  return new ConfigurationError('BadContext', message);
}
