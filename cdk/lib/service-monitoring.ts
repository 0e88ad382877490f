import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import { variantMetric } from './variant-autoscaling.js';

/**
 * Alarm thresholds of the service.
 */
export interface AlarmThresholds {
  /** API 5xx answers in five minutes that raise the alarm. @default 5 */
  readonly api5xxPerFiveMinutes?: number;

  /** p95 API latency (function URL) that raises the alarm. @default Duration.seconds(20) */
  readonly apiLatencyP95?: Duration;

  /** Endpoint 5xx invocation errors per variant in five minutes. @default 5 */
  readonly endpoint5xxPerFiveMinutes?: number;

  /** p95 model latency per variant that raises the alarm. @default Duration.seconds(15) */
  readonly endpointLatencyP95?: Duration;
}

/**
 * Properties of a {@link ServiceMonitoring}.
 */
export interface ServiceMonitoringProps {
  /** The API function; its function URL metrics stand for the API. */
  readonly apiFunction: lambda.IFunction;

  /** The batch function. */
  readonly batchFunction: lambda.IFunction;

  /** The batch jobs queue. */
  readonly jobs: sqs.IQueue;

  /** The batch dead-letter queue; any message in it raises an alarm. */
  readonly deadLetters: sqs.IQueue;

  /** Name of the SageMaker endpoint. */
  readonly endpointName: string;

  /** Its production variants, each alarmed and graphed on its own. */
  readonly variantNames: readonly string[];

  /** @default - the defaults of {@link AlarmThresholds} */
  readonly thresholds?: AlarmThresholds;

  /**
   * E-mail address subscribed to the alarm topic.
   * @default - no subscription; subscribe to `alarmTopic` yourself
   */
  readonly alarmEmail?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The service's alarms (API 5xx and latency, endpoint errors and latency per variant, dead
 * letters) on one SNS topic, and one dashboard of the same signals plus scaling inputs.
 *
 * @example
 * new ServiceMonitoring(this, 'Monitoring', {
 *   apiFunction: api.handler, batchFunction: batch.handler,
 *   jobs: batch.jobs, deadLetters: batch.deadLetters,
 *   endpointName: endpoint.endpointName, variantNames: endpoint.variantNames,
 *   alarmEmail: 'oncall@example.com',
 * });
 */
export class ServiceMonitoring extends Construct {
  /** Topic every alarm notifies. */
  public readonly alarmTopic: sns.Topic;

  /** The alarms, by purpose. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ServiceMonitoringProps) {
    super(scope, id);
    const thresholds = props.thresholds ?? {};

    // A key of our own: the AWS managed SNS key does not let CloudWatch publish alarms.
    const topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'adcopy alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    topicKey.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'adcopy alarms',
      enforceSSL: true,
      masterKey: topicKey,
    });
    if (props.alarmEmail) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    const api = apiMetrics(props.apiFunction);
    this.alarm('Api5xx', api.errors5xx, thresholds.api5xxPerFiveMinutes ?? 5, 'API 5xx answers');
    this.alarm('ApiLatency', api.latencyP95,
      (thresholds.apiLatencyP95 ?? Duration.seconds(20)).toMilliseconds(), 'API p95 latency (ms)');

    const variants = props.variantNames.map((variantName) => ({
      variantName,
      ...endpointMetrics(props.endpointName, variantName),
    }));
    for (const variant of variants) {
      this.alarm(`EndpointErrors-${variant.variantName}`, variant.errors5xx,
        thresholds.endpoint5xxPerFiveMinutes ?? 5, `endpoint 5xx, variant ${variant.variantName}`);
      this.alarm(`EndpointLatency-${variant.variantName}`, variant.latencyP95,
        (thresholds.endpointLatencyP95 ?? Duration.seconds(15)).toMilliseconds() * 1000,
        `model p95 latency (us), variant ${variant.variantName}`);
    }

    const deadLetters = props.deadLetters.metricApproximateNumberOfMessagesVisible({
      period: FIVE_MINUTES,
      statistic: 'Maximum',
    });
    this.alarm('DeadLetters', deadLetters, 1, 'batch notifications in the dead-letter queue');

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
    this.dashboard.addWidgets(
      graph('API requests and errors', [api.requests, api.errors4xx, api.errors5xx]),
      graph('API p95 latency (ms)', [api.latencyP95]),
      graph('Batch queue', [
        props.jobs.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES }),
        deadLetters,
      ]),
    );
    this.dashboard.addWidgets(
      graph('Invocations per instance', variants.map((v) => v.invocationsPerInstance)),
      graph('Model p95 latency (us)', variants.map((v) => v.latencyP95)),
      graph('GPU utilisation (% summed over GPUs)', variants.map((v) => v.gpu)),
      graph('CPU utilisation (% summed over vCPUs)', variants.map((v) => v.cpu)),
    );
    this.dashboard.addWidgets(
      graph('Endpoint 5xx', variants.map((v) => v.errors5xx)),
      graph('Batch function errors', [props.batchFunction.metricErrors({ period: FIVE_MINUTES })]),
    );
  }

  private alarm(id: string, metric: cloudwatch.IMetric, threshold: number, what: string) {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `adcopy: ${what} at or above ${threshold}`,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }
}

function apiMetrics(fn: lambda.IFunction) {
  // Function URL metrics; CloudFront's own live only in us-east-1 and cannot be alarmed on here.
  const url = (metricName: string, statistic: string) =>
    fn.metric(metricName, { statistic, period: FIVE_MINUTES });
  return {
    requests: url('UrlRequestCount', 'Sum'),
    errors4xx: url('Url4xxCount', 'Sum'),
    errors5xx: url('Url5xxCount', 'Sum'),
    latencyP95: url('UrlRequestLatency', 'p95'),
  };
}

function endpointMetrics(endpointName: string, variantName: string) {
  const variant = { endpointName, variantName };
  const fiveMinutes = (metric: cloudwatch.Metric) => metric.with({ period: FIVE_MINUTES });
  return {
    invocationsPerInstance:
      variantMetric(variant, 'AWS/SageMaker', 'InvocationsPerInstance', 'Sum'),
    errors5xx: fiveMinutes(variantMetric(variant, 'AWS/SageMaker', 'Invocation5XXErrors', 'Sum')),
    latencyP95: fiveMinutes(variantMetric(variant, 'AWS/SageMaker', 'ModelLatency', 'p95')),
    gpu: variantMetric(variant, '/aws/sagemaker/Endpoints', 'GPUUtilization', 'Average'),
    cpu: variantMetric(variant, '/aws/sagemaker/Endpoints', 'CPUUtilization', 'Average'),
  };
}

function graph(title: string, metrics: cloudwatch.IMetric[]) {
  return new cloudwatch.GraphWidget({ title, left: metrics, width: 6 });
}
