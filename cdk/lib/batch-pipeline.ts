import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import {
  BATCH_INPUT_PREFIX, BATCH_NODE_OPTIONS, BATCH_OUTPUT_PREFIX,
} from '../../functions/batch/index.js';

import {
  adcopyFunction, BASIC_EXECUTION_POLICY, type FunctionSourceProps,
} from './private/adcopy-function.js';
import { acknowledgeWildcardResources } from './private/nag.js';
import { ConfigurationError } from './errors.js';

/** The batch function's time limit, which also sizes the queue's visibility timeout. */
const BATCH_TIMEOUT = Duration.minutes(15);

/**
 * Deliveries of one notification before it goes to the dead-letter queue. A job that runs out of
 * time checkpoints and hands its message back, and each redelivery resumes it: 20 runs of 15
 * minutes let one file take about five hours.
 */
const MAX_RUNS_PER_JOB = 20;

/** How long notifications wait in the dead-letter queue for an operator to redrive them. */
const DEAD_LETTER_DAYS = 14;

/**
 * Days an unfinished multipart upload of a job's outputs may wait. A job redriven from the
 * dead-letter queue carries on with its uploads, so they must outlive the queue's retention.
 */
const OUTPUT_UPLOAD_DAYS = DEAD_LETTER_DAYS + 1;

/**
 * Properties of a {@link BatchPipeline}.
 */
export interface BatchPipelineProps extends FunctionSourceProps {
  /** Bucket that receives the server access logs of the batch bucket. */
  readonly accessLogsBucket: s3.IBucket;

  /**
   * Most batch functions running at once; the endpoint is shared with the live API.
   * @default 4
   */
  readonly maxConcurrency?: number;

  /**
   * Days before a job's outputs expire.
   * @default 30
   */
  readonly outputRetentionDays?: number;

  /**
   * Whether `cdk destroy` keeps the bucket and its objects.
   * @default false
   */
  readonly retainData?: boolean;
}

/**
 * The S3 batch path: a protected bucket whose `batch/input/` creations go to an SQS queue (with a
 * dead-letter queue), read by the batch function at a bounded concurrency.
 *
 * @example
 * const batch = new BatchPipeline(this, 'Batch', {
 *   entry: join(repoRoot, 'functions/batch/lambda.ts'),
 *   environment: { SAGEMAKER_ENDPOINT_NAME: endpoint.endpointName },
 *   layers: [rules.layer],
 *   accessLogsBucket,
 * });
 * endpoint.grantInvoke(batch.handler);
 */
export class BatchPipeline extends Construct {
  /** The bucket of inputs and outputs. */
  public readonly bucket: s3.Bucket;

  /** Queue of object-created notifications. */
  public readonly jobs: sqs.Queue;

  /** Notifications whose job did not finish within its runs. */
  public readonly deadLetters: sqs.Queue;

  /** The batch function. */
  public readonly handler: lambda.Function;

  constructor(scope: Construct, id: string, props: BatchPipelineProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 4;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) {
      const message = `batch maxConcurrency must be a whole number 2-1000, got ${maxConcurrency}`;
      throw new ConfigurationError('BadBatchConcurrency', message, this);
    }

    this.bucket = this.createBucket(props);
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(DEAD_LETTER_DAYS),
    });
    this.jobs = new sqs.Queue(this, 'Jobs', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Just over the function timeout: a run that stops hands its message back at once, and the
      // job resumes when the message becomes visible again.
      visibilityTimeout: BATCH_TIMEOUT.plus(Duration.minutes(1)),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: MAX_RUNS_PER_JOB },
    });
    this.bucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new s3n.SqsDestination(this.jobs),
      { prefix: BATCH_INPUT_PREFIX },
    );
    acknowledgeNotificationsHandler(this);

    this.handler = adcopyFunction(this, 'Handler', {
      ...props,
      description: 'adcopy batch: JSONL briefs from batch/input/ to copies in batch/output/',
      // A job keeps about 30 MB live (functions/batch/README.md); memory buys CPU share here.
      memorySize: 1024,
      timeout: BATCH_TIMEOUT,
      environment: {
        BATCH_BUCKET: this.bucket.bucketName,
        NODE_OPTIONS: `--enable-source-maps ${BATCH_NODE_OPTIONS}`,
        ...props.environment,
      },
    });
    this.grantJobAccess(this.handler);
    this.handler.addEventSource(
      new eventSources.SqsEventSource(this.jobs, {
        batchSize: 1,
        maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }

  private createBucket(props: BatchPipelineProps): s3.Bucket {
    const retain = props.retainData ?? false;
    const bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'batch-bucket/',
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !retain,
      lifecycleRules: [
        {
          id: 'ExpireOutputs',
          prefix: BATCH_OUTPUT_PREFIX,
          expiration: Duration.days(props.outputRetentionDays ?? 30),
          noncurrentVersionExpiration: Duration.days(7),
        },
        {
          id: 'ExpireOldInputVersions',
          prefix: BATCH_INPUT_PREFIX,
          noncurrentVersionExpiration: Duration.days(7),
        },
        {
          id: 'AbortStalledOutputUploads',
          prefix: BATCH_OUTPUT_PREFIX,
          abortIncompleteMultipartUploadAfter: Duration.days(OUTPUT_UPLOAD_DAYS),
        },
        {
          id: 'AbortStalledInputUploads',
          prefix: BATCH_INPUT_PREFIX,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    return bucket;
  }

  /**
   * Reads inputs under `batch/input/`; writes, re-reads and removes its own outputs, checkpoint
   * and lease under `batch/output/`; nothing else in the bucket.
   */
  private grantJobAccess(handler: lambda.Function) {
    const objects = (prefix: string) => this.bucket.arnForObjects(`${prefix}*`);
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadInputs',
        actions: ['s3:GetObject'],
        resources: [objects(BATCH_INPUT_PREFIX)],
      }),
    );
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WriteOutputs',
        actions: [
          's3:PutObject',
          's3:GetObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        resources: [objects(BATCH_OUTPUT_PREFIX)],
      }),
    );
    // Without ListBucket S3 answers 403 instead of 404 for a missing checkpoint, and a fresh job
    // could not tell "no checkpoint yet" from "forbidden".
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TellMissingFromForbidden',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
      }),
    );
    acknowledgeWildcardResources(
      handler,
      [objects(BATCH_INPUT_PREFIX), objects(BATCH_OUTPUT_PREFIX)],
      'A job reads any object under batch/input/ and writes any under batch/output/; ' +
        'the wildcard stops at those prefixes.',
    );
  }
}

/**
 * The stack-wide function CDK adds to configure bucket notifications uses the AWS basic execution
 * policy; it is found by its id because CDK does not expose it.
 */
function acknowledgeNotificationsHandler(scope: Construct) {
  const stack = Stack.of(scope);
  const handlers = stack.node.children.filter((child) =>
    child.node.id.startsWith('BucketNotificationsHandler'),
  );
  for (const handler of handlers) {
    Validations.of(handler).acknowledge({
      id: `AwsSolutions-IAM4[Policy::${BASIC_EXECUTION_POLICY}]`,
      reason: 'CDK\'s notification configurator only writes its own logs with this policy.',
    });
  }
}
