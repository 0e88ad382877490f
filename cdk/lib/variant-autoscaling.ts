import { Duration, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

import type { InstanceShape } from './private/instance-types.js';
import { ConfigurationError } from './errors.js';

/**
 * The scaling numbers of one production variant. Utilisation thresholds are per instance
 * (0-100%), whatever its number of vCPUs and GPUs.
 */
export interface ScalingNumbers {
  /** Fewest instances of the variant, also its starting count. @default 2 */
  readonly minInstances?: number;

  /** Most instances of the variant. @default 20 */
  readonly maxInstances?: number;

  /**
   * Target of `SageMakerVariantInvocationsPerInstance`, in invocations per minute per instance.
   * @default 120
   */
  readonly invocationsPerInstance?: number;

  /** GPU utilisation (percent of the instance) above which the variant grows. @default 70 */
  readonly gpuHighPercent?: number;

  /** Minutes the GPU must stay above that before it does. @default 2 */
  readonly gpuHighMinutes?: number;

  /** Instances added then. @default 3 */
  readonly gpuScaleOutBy?: number;

  /** p95 `ModelLatency` in milliseconds above which the variant grows. @default 400 */
  readonly latencyHighMs?: number;

  /** Minutes the latency must stay above that before it does. @default 2 */
  readonly latencyHighMinutes?: number;

  /** Instances added then. @default 5 */
  readonly latencyScaleOutBy?: number;

  /** CPU utilisation (percent of the instance) below which the variant shrinks. @default 30 */
  readonly cpuLowPercent?: number;

  /** Minutes the CPU must stay below that before it does. @default 5 */
  readonly cpuLowMinutes?: number;

  /** Instances removed then. @default 2 */
  readonly cpuScaleInBy?: number;

  /** Wait after growing before the next growth. @default Duration.minutes(3) */
  readonly scaleOutCooldown?: Duration;

  /** Wait after shrinking (or growing) before shrinking. @default Duration.minutes(10) */
  readonly scaleInCooldown?: Duration;
}

/** The defaults of {@link ScalingNumbers}, as the issue sets them. */
export const DEFAULT_SCALING: Required<ScalingNumbers> = {
  minInstances: 2,
  maxInstances: 20,
  invocationsPerInstance: 120,
  gpuHighPercent: 70,
  gpuHighMinutes: 2,
  gpuScaleOutBy: 3,
  latencyHighMs: 400,
  latencyHighMinutes: 2,
  latencyScaleOutBy: 5,
  cpuLowPercent: 30,
  cpuLowMinutes: 5,
  cpuScaleInBy: 2,
  scaleOutCooldown: Duration.minutes(3),
  scaleInCooldown: Duration.minutes(10),
};

/**
 * Properties of a {@link VariantAutoScaling}.
 */
export interface VariantAutoScalingProps {
  /** Name of the endpoint (may be a token). */
  readonly endpointName: string;

  /** Name of the production variant. */
  readonly variantName: string;

  /** vCPUs and GPUs of the variant's instance type, to turn per-instance percents into sums. */
  readonly instanceShape: InstanceShape;

  /**
   * The scaling numbers.
   * @default DEFAULT_SCALING
   */
  readonly scaling?: ScalingNumbers;
}

/** SageMaker's own per-instance metrics (utilisation) live apart from the invocation metrics. */
const INSTANCE_NAMESPACE = '/aws/sagemaker/Endpoints';
const INVOCATION_NAMESPACE = 'AWS/SageMaker';

/**
 * HPA-like scaling of one SageMaker production variant with Application Auto Scaling: target
 * tracking on invocations per instance, step scaling out on GPU load and on p95 latency, step
 * scaling in on low CPU, with cooldowns that keep the policies from undoing each other.
 *
 * @example
 * new VariantAutoScaling(this, 'BlueScaling', {
 *   endpointName: endpoint.endpointName,
 *   variantName: 'blue',
 *   instanceShape: { vcpus: 4, gpus: 1 },
 *   scaling: { maxInstances: 10 },
 * });
 */
export class VariantAutoScaling extends Construct {
  /** The scalable target of the variant's instance count. */
  public readonly target: appscaling.ScalableTarget;

  /** The numbers in force, defaults filled in. */
  public readonly scaling: Required<ScalingNumbers>;

  constructor(scope: Construct, id: string, props: VariantAutoScalingProps) {
    super(scope, id);
    this.scaling = { ...DEFAULT_SCALING, ...props.scaling };
    validateScaling(this, this.scaling);

    const numbers = this.scaling;
    this.target = new appscaling.ScalableTarget(this, 'Target', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `endpoint/${props.endpointName}/variant/${props.variantName}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: numbers.minInstances,
      maxCapacity: numbers.maxInstances,
      // SageMaker variants scale through this service-linked role; any other role is ignored.
      role: iam.Role.fromRoleArn(this, 'ServiceLinkedRole', serviceLinkedRoleArn(this)),
    });

    this.trackInvocations(numbers);
    this.scaleOutOnGpu(props, numbers);
    this.scaleOutOnLatency(props, numbers);
    this.scaleInOnCpu(props, numbers);
  }

  private trackInvocations(numbers: Required<ScalingNumbers>) {
    this.target.scaleToTrackMetric('InvocationsPerInstance', {
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      targetValue: numbers.invocationsPerInstance,
      scaleOutCooldown: numbers.scaleOutCooldown,
      scaleInCooldown: numbers.scaleInCooldown,
    });
  }

  private scaleOutOnGpu(props: VariantAutoScalingProps, numbers: Required<ScalingNumbers>) {
    this.stepOnMetric('GpuBusy', {
      metric: variantMetric(props, INSTANCE_NAMESPACE, 'GPUUtilization', 'Average'),
      threshold: numbers.gpuHighPercent * props.instanceShape.gpus,
      change: numbers.gpuScaleOutBy,
      minutes: numbers.gpuHighMinutes,
      cooldown: numbers.scaleOutCooldown,
    });
  }

  private scaleOutOnLatency(props: VariantAutoScalingProps, numbers: Required<ScalingNumbers>) {
    this.stepOnMetric('LatencyHigh', {
      metric: variantMetric(props, INVOCATION_NAMESPACE, 'ModelLatency', 'p95'),
      // ModelLatency is reported in microseconds.
      threshold: numbers.latencyHighMs * 1000,
      change: numbers.latencyScaleOutBy,
      minutes: numbers.latencyHighMinutes,
      cooldown: numbers.scaleOutCooldown,
    });
  }

  private scaleInOnCpu(props: VariantAutoScalingProps, numbers: Required<ScalingNumbers>) {
    this.stepOnMetric('CpuIdle', {
      metric: variantMetric(props, INSTANCE_NAMESPACE, 'CPUUtilization', 'Average'),
      threshold: numbers.cpuLowPercent * props.instanceShape.vcpus,
      change: -numbers.cpuScaleInBy,
      minutes: numbers.cpuLowMinutes,
      cooldown: numbers.scaleInCooldown,
    });
  }

  /**
   * One step: add `change` instances (or remove, when negative) once the metric has stayed above
   * (or, for removal, below) the threshold for `minutes` one-minute periods in a row.
   */
  private stepOnMetric(id: string, step: MetricStep) {
    const growing = step.change > 0;
    this.target.scaleOnMetric(id, {
      metric: step.metric,
      // The other side of the threshold is a no-change interval, so only one alarm is made.
      scalingSteps: growing
        ? [{ upper: step.threshold, change: 0 }, { lower: step.threshold, change: step.change }]
        : [{ upper: step.threshold, change: step.change }, { lower: step.threshold, change: 0 }],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      evaluationPeriods: step.minutes,
      datapointsToAlarm: step.minutes,
      cooldown: step.cooldown,
    });
  }
}

interface MetricStep {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly change: number;
  readonly minutes: number;
  readonly cooldown: Duration;
}

/**
 * A one-minute metric of one variant, as the scaling alarms and the dashboard read it.
 */
export function variantMetric(
  props: Pick<VariantAutoScalingProps, 'endpointName' | 'variantName'>,
  namespace: string,
  metricName: string,
  statistic: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace,
    metricName,
    statistic,
    period: Duration.minutes(1),
    dimensionsMap: { EndpointName: props.endpointName, VariantName: props.variantName },
  });
}

function serviceLinkedRoleArn(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'iam',
    region: '',
    resource: 'role',
    resourceName:
      'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/' +
      'AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
  });
}

function validateScaling(scope: Construct, numbers: Required<ScalingNumbers>) {
  const wholes: Array<keyof ScalingNumbers> = [
    'minInstances', 'maxInstances', 'gpuHighMinutes', 'gpuScaleOutBy', 'latencyHighMinutes',
    'latencyScaleOutBy', 'cpuLowMinutes', 'cpuScaleInBy',
  ];
  for (const key of wholes) {
    const value = numbers[key];
    if (!Number.isInteger(value) || (value as number) < 1) {
      const message = `${key} must be a whole number >= 1, got ${value}`;
      throw new ConfigurationError('BadScalingNumber', message, scope);
    }
  }

  if (numbers.minInstances > numbers.maxInstances) {
    const message =
      `minInstances (${numbers.minInstances}) must not exceed ` +
      `maxInstances (${numbers.maxInstances})`;
    throw new ConfigurationError('BadScalingRange', message, scope);
  }

  for (const key of ['gpuHighPercent', 'cpuLowPercent'] as const) {
    if (!(numbers[key] > 0 && numbers[key] < 100)) {
      const message = `${key} must be between 0 and 100, got ${numbers[key]}`;
      throw new ConfigurationError('BadScalingPercent', message, scope);
    }
  }

  for (const key of ['invocationsPerInstance', 'latencyHighMs'] as const) {
    if (!(numbers[key] > 0)) {
      const message = `${key} must be above 0, got ${numbers[key]}`;
      throw new ConfigurationError('BadScalingTarget', message, scope);
    }
  }
}
