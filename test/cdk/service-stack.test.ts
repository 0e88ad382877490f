import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';

import { onlyResource, synthService, type SynthedService } from './synth-service.js';

// One synth with the defaults (no context) serves every test in this file.
let service: SynthedService;
let template: Template;
beforeAll(() => {
  service = synthService();
  template = service.template;
});

/** Logical id of the one resource of a type. */
function onlyId(type: string): string {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0]!;
}

/** Logical id of the batch bucket, the only versioned one. */
function batchBucketId(): string {
  const buckets = template.findResources('AWS::S3::Bucket', {
    Properties: { VersioningConfiguration: { Status: 'Enabled' } },
  });
  return Object.keys(buckets)[0]!;
}

/** Every statement of the inline policy attached to the role of a function. */
function functionStatements(functionIdPrefix: string): Array<Record<string, any>> {
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Handler: 'index.handler' },
  });
  const [, fn] = Object.entries(functions).find(([id]) => id.startsWith(functionIdPrefix)) ?? [];
  if (!fn) throw new Error(`no function ${functionIdPrefix}`);

  const roleId = (fn as any).Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy as any).Properties.Roles.some((role: any) => role.Ref === roleId),
  );
  return policies.flatMap((policy) => (policy as any).Properties.PolicyDocument.Statement);
}

describe('Stack: Adcopy (defaults)', () => {
  it('defines the resources of the service once each', () => {
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    template.resourceCountIs('AWS::SageMaker::EndpointConfig', 1);
    template.resourceCountIs('AWS::SageMaker::Model', 2);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 2);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 8);
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.resourceCountIs('AWS::CloudFront::Distribution', 1);
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // No cache unless asked for: no network, no Redis.
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::ElastiCache::ServerlessCache', 0);
  });

  it('leaves nothing behind on destroy: buckets, logs and the key go with the stack', () => {
    const retained = Object.entries(template.toJSON().Resources)
      .filter(([, resource]: [string, any]) => resource.DeletionPolicy === 'Retain')
      .map(([id]) => id);
    expect(retained).toEqual([]);
  });

  it('tags the resources with the service name for cost reports', () => {
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      Tags: Match.arrayWith([{ Key: 'service', Value: 'adcopy' }]),
    });
    service.edgeTemplate.hasResourceProperties('AWS::WAFv2::WebACL', {
      Tags: Match.arrayWith([{ Key: 'service', Value: 'adcopy' }]),
    });
  });

  it('takes the weights prefixes as deploy-time parameters, the challenger one optional', () => {
    template.hasParameter('ModelDataUrl', { Type: 'String', Default: Match.absent() });
    template.hasParameter('ChallengerModelDataUrl', { Type: 'String', Default: '' });

    const pattern = new RegExp(template.toJSON().Parameters.ModelDataUrl.AllowedPattern);
    expect(pattern.test('s3://adcopy-models/qwen-ads/v3/')).toBe(true);
    expect(pattern.test('s3://adcopy-models/qwen-ads/v3/model.gguf')).toBe(false);
    expect(pattern.test('https://adcopy-models/v3/')).toBe(false);
  });
});

describe('Construct: InferenceEndpoint', () => {
  it('runs two weighted variants on ml.g5.xlarge with a start-up timeout sized for loading', () => {
    const config = onlyResource(template, 'AWS::SageMaker::EndpointConfig');
    expect(config.ProductionVariants).toHaveLength(2);
    expect(config.ProductionVariants.map((variant: any) => variant.VariantName)).toEqual([
      'blue',
      'green',
    ]);
    for (const variant of config.ProductionVariants) {
      expect(variant).toMatchObject({
        InstanceType: 'ml.g5.xlarge',
        InitialInstanceCount: 2,
        InitialVariantWeight: 1,
        ContainerStartupHealthCheckTimeoutInSeconds: 900,
        ModelDataDownloadTimeoutInSeconds: 1200,
      });
    }
    expect(onlyResource(template, 'AWS::SageMaker::Endpoint')).toMatchObject({
      EndpointName: 'Adcopy-g5-xlarge',
      // A deploy keeps the scaled instance counts and applies the configured weights.
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }],
    });
  });

  it('reads the weights uncompressed from the S3 prefix, the challenger falling back', () => {
    const models = Object.values(template.findResources('AWS::SageMaker::Model'));
    const sources = models.map(
      (model: any) => model.Properties.PrimaryContainer.ModelDataSource.S3DataSource,
    );
    expect(sources).toContainEqual({
      S3Uri: { Ref: 'ModelDataUrl' },
      S3DataType: 'S3Prefix',
      CompressionType: 'None',
    });
    expect(sources).toContainEqual({
      S3Uri: {
        'Fn::If': [
          'HasChallengerModel',
          { Ref: 'ChallengerModelDataUrl' },
          { Ref: 'ModelDataUrl' },
        ],
      },
      S3DataType: 'S3Prefix',
      CompressionType: 'None',
    });
    for (const model of models as any[]) {
      expect(model.Properties.EnableNetworkIsolation).toBe(true);
      expect(model.Properties.PrimaryContainer.Environment).toEqual({
        MODEL_PATH: '/opt/ml/model/model.gguf',
      });
    }
  });

  it('lets SageMaker read objects only under the weights prefixes', () => {
    const role = Object.keys(template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })],
        },
      },
    }));
    expect(role).toHaveLength(1);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy: any) => policy.Properties.Roles.some((r: any) => r.Ref === role[0]))
      .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
    const reads = statements.filter((statement) => statement.Action === 's3:GetObject');
    expect(reads).toHaveLength(2);
    expect(JSON.stringify(reads[0].Resource)).toContain('{"Ref":"ModelDataUrl"}');
    expect(JSON.stringify(reads[1].Resource)).toContain('HasChallengerModel');
    const writes = statements.filter((statement) => String(statement.Action).startsWith('s3:Put'));
    expect(writes).toEqual([]);
  });
});

describe('Construct: VariantAutoScaling', () => {
  it('scales each variant between 2 and 20 instances through the SageMaker linked role', () => {
    for (const variant of ['blue', 'green']) {
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ServiceNamespace: 'sagemaker',
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: 2,
        MaxCapacity: 20,
        ResourceId: {
          'Fn::Join': ['', ['endpoint/', { 'Fn::GetAtt': [Match.anyValue(), 'EndpointName'] },
            `/variant/${variant}`]],
        },
        RoleARN: { 'Fn::Join': ['', Match.arrayWith([
          Match.stringLikeRegexp('AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint'),
        ])] },
      });
    }
  });

  it('tracks 120 invocations per instance with slow scale-in and quicker scale-out', () => {
    const tracking = template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy', {
      Properties: { PolicyType: 'TargetTrackingScaling' },
    });
    expect(Object.keys(tracking)).toHaveLength(2);
    for (const policy of Object.values(tracking) as any[]) {
      expect(policy.Properties.TargetTrackingScalingPolicyConfiguration).toEqual({
        PredefinedMetricSpecification: {
          PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance',
        },
        TargetValue: 120,
        ScaleOutCooldown: 180,
        ScaleInCooldown: 600,
      });
    }
  });

  it('adds 3 instances after 2 minutes of GPU above 70%', () => {
    expectStep({
      metricName: 'GPUUtilization',
      namespace: '/aws/sagemaker/Endpoints',
      threshold: 70,
      minutes: 2,
      adjustment: 3,
      cooldown: 180,
    });
  });

  it('adds 5 instances when p95 model latency stays above 400 ms (in microseconds)', () => {
    expectStep({
      metricName: 'ModelLatency',
      namespace: 'AWS/SageMaker',
      threshold: 400_000,
      minutes: 2,
      adjustment: 5,
      cooldown: 180,
      percentile: 'p95',
    });
  });

  it('removes 2 instances after 5 minutes of CPU below 30% of the 4 vCPUs', () => {
    // SageMaker sums CPU over the vCPUs: 30% of an ml.g5.xlarge is 120.
    expectStep({
      metricName: 'CPUUtilization',
      namespace: '/aws/sagemaker/Endpoints',
      threshold: 120,
      minutes: 5,
      adjustment: -2,
      cooldown: 600,
    });
  });
});

interface ExpectedStep {
  metricName: string;
  namespace: string;
  threshold: number;
  minutes: number;
  adjustment: number;
  cooldown: number;
  percentile?: string;
}

/** Checks one step policy per variant, each fired by its own alarm with these numbers. */
function expectStep(step: ExpectedStep) {
  const alarms = template.findResources('AWS::CloudWatch::Alarm', {
    Properties: { MetricName: step.metricName, Namespace: step.namespace, Period: 60 },
  });
  const scalingAlarms = Object.values(alarms).filter((alarm: any) =>
    alarm.Properties.AlarmActions.every((action: any) => action.Ref),
  ) as any[];
  expect(scalingAlarms).toHaveLength(2);

  const growing = step.adjustment > 0;
  for (const alarm of scalingAlarms) {
    expect(alarm.Properties).toMatchObject({
      Threshold: step.threshold,
      EvaluationPeriods: step.minutes,
      DatapointsToAlarm: step.minutes,
      ComparisonOperator: growing ? 'GreaterThanOrEqualToThreshold' : 'LessThanOrEqualToThreshold',
      ...(step.percentile ? { ExtendedStatistic: step.percentile } : { Statistic: 'Average' }),
    });

    const policyId = alarm.Properties.AlarmActions[0].Ref;
    const policy = template.toJSON().Resources[policyId].Properties;
    expect(policy.StepScalingPolicyConfiguration).toMatchObject({
      AdjustmentType: 'ChangeInCapacity',
      Cooldown: step.cooldown,
      StepAdjustments: [
        growing
          ? { MetricIntervalLowerBound: 0, ScalingAdjustment: step.adjustment }
          : { MetricIntervalUpperBound: 0, ScalingAdjustment: step.adjustment },
      ],
    });
  }
}

describe('Construct: CopyApi', () => {
  it('serves the Hono function through a response-streaming, IAM-only function URL', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      InvokeMode: 'RESPONSE_STREAM',
    });
  });

  it('puts CloudFront in front: HTTPS only, no cache, WAF attached, origin access control', () => {
    const distribution = onlyResource(template, 'AWS::CloudFront::Distribution').DistributionConfig;
    expect(distribution.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('https-only');
    expect(distribution.DefaultCacheBehavior.AllowedMethods).toContain('POST');
    expect(distribution.DefaultCacheBehavior.CachePolicyId).toBe(
      '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // AWS managed CachingDisabled
    );
    expect(distribution.WebACLId).toBeDefined();
    expect(distribution.Origins[0].OriginAccessControlId).toBeDefined();
    expect(distribution.Logging.Prefix).toBe('cloudfront/');
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });

  it('limits each IP with a WAF rate-based rule that answers 429, in us-east-1', () => {
    expect(service.edge.region).toBe('us-east-1');
    const webAcl = onlyResource(service.edgeTemplate, 'AWS::WAFv2::WebACL');
    expect(webAcl.Scope).toBe('CLOUDFRONT');
    const rateRule = webAcl.Rules.find((rule: any) => rule.Statement.RateBasedStatement);
    expect(rateRule.Statement.RateBasedStatement).toEqual({ Limit: 1000, AggregateKeyType: 'IP' });
    expect(rateRule.Action.Block.CustomResponse.ResponseCode).toBe(429);
  });

  it('runs on nodejs22.x with the rules layer and the environment the API reads', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Layers: [{ Ref: Match.stringLikeRegexp('^ComplianceRules') }],
      Environment: {
        Variables: Match.objectLike({
          SAGEMAKER_ENDPOINT_NAME: { 'Fn::GetAtt': [Match.anyValue(), 'EndpointName'] },
          AB_VARIANTS: 'blue:1,green:1',
          API_KEYS_SECRET_ARN: { Ref: Match.stringLikeRegexp('^ApiApiKeys') },
          COMPLIANCE_RULES_DIR: '/opt/compliance/rules',
          POWERTOOLS_SERVICE_NAME: 'adcopy-api',
          POWERTOOLS_METRICS_NAMESPACE: 'adcopy',
          REDIS_URL: Match.absent(),
        }),
      },
    });
  });

  it('may invoke only this endpoint and read only its key secret', () => {
    const statements = functionStatements('ApiHandler');
    const invoke = statements.filter((statement) =>
      [statement.Action].flat().some((action: string) => action.startsWith('sagemaker:')),
    );
    // Ref of an endpoint is its ARN, in the lower case IAM matches against.
    expect(invoke).toEqual([
      expect.objectContaining({
        Action: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointWithResponseStream'],
        Resource: { Ref: onlyId('AWS::SageMaker::Endpoint') },
      }),
    ]);
    const secretRead = statements.find((statement) =>
      [statement.Action].flat().includes('secretsmanager:GetSecretValue'),
    );
    expect(secretRead?.Resource).toEqual({ Ref: expect.stringMatching(/^ApiApiKeys/) });
  });

  it('lets only this CloudFront distribution call the function URL', () => {
    const apiFunction = { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiHandler'), 'FunctionArn'] };
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission', {
      Properties: { FunctionName: apiFunction },
    })) as any[];
    expect(permissions.map((permission) => permission.Properties.Action).sort()).toEqual([
      'lambda:InvokeFunction',
      'lambda:InvokeFunctionUrl',
    ]);
    const distributionId = onlyId('AWS::CloudFront::Distribution');
    for (const permission of permissions) {
      expect(permission.Properties.Principal).toBe('cloudfront.amazonaws.com');
      const sourceParts = permission.Properties.SourceArn['Fn::Join'][1];
      expect(sourceParts).toContainEqual({ Ref: distributionId });
    }
  });

  it('starts the key secret with an entry no key matches, so the API is never open', () => {
    const secret = onlyResource(template, 'AWS::SecretsManager::Secret');
    expect(secret.SecretString).toBe(`unset:${'0'.repeat(64)}`);
  });
});

describe('Construct: BatchPipeline', () => {
  it('keeps the bucket encrypted, versioned, private and TLS-only', () => {
    const buckets = template.findResources('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: { Status: 'Enabled' } },
    });
    expect(Object.keys(buckets)).toHaveLength(1);
    const [bucketId, bucket] = Object.entries(buckets)[0] as [string, any];
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { LogFilePrefix: 'batch-bucket/' },
    });

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires outputs after 30 days and cleans old versions and stalled uploads', () => {
    // Output uploads outlive the 14 days a job may wait in the dead-letter queue for a redrive.
    const bucket = Object.values(template.findResources('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: { Status: 'Enabled' } },
    }))[0] as any;
    const rules = bucket.Properties.LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(expect.objectContaining({
      Id: 'ExpireOutputs',
      Prefix: 'batch/output/',
      ExpirationInDays: 30,
      NoncurrentVersionExpiration: { NoncurrentDays: 7 },
      Status: 'Enabled',
    }));
    expect(rules).toContainEqual(expect.objectContaining({
      Id: 'AbortStalledOutputUploads',
      Prefix: 'batch/output/',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 15 },
    }));
    expect(rules).toContainEqual(expect.objectContaining({
      Id: 'AbortStalledInputUploads',
      Prefix: 'batch/input/',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    }));
  });

  it('sends only objects created under batch/input/ to the jobs queue', () => {
    // Field cases 3 and 4: every kind of creation (put, multipart, copy) is a job, and the job's
    // own writes under batch/output/ never notify.
    const notifications = onlyResource(template, 'Custom::S3BucketNotifications');
    expect(notifications.NotificationConfiguration).toEqual({
      QueueConfigurations: [
        {
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'batch/input/' }] } },
          QueueArn: { 'Fn::GetAtt': [expect.stringMatching(/^BatchJobs/), 'Arn'] },
        },
      ],
    });
  });

  it('resumes a stopped job a minute after its 15-minute run; 20 runs, then dead letters', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 960,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BatchDeadLetters'), 'Arn'] },
        maxReceiveCount: 20,
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
    });
  });

  it('runs the batch function with the heap limits its jobs are sized for', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      MemorySize: 1024,
      Environment: {
        Variables: Match.objectLike({
          NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=2 --max-old-space-size=160',
          BATCH_BUCKET: { Ref: batchBucketId() },
          POWERTOOLS_SERVICE_NAME: 'adcopy-batch',
        }),
      },
    });
  });

  it('reads the queue one message at a time with at most 4 functions at once', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 4 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('reads only batch/input/ and writes only batch/output/', () => {
    const s3Statements = functionStatements('BatchHandler').filter((statement) =>
      [statement.Action].flat().some((action: string) => action.startsWith('s3:')),
    );
    const resourcesOf = (action: string) =>
      s3Statements
        .filter((statement) => [statement.Action].flat().includes(action))
        .map((statement) => JSON.stringify(statement.Resource));

    const bucketArn = { 'Fn::GetAtt': [batchBucketId(), 'Arn'] };
    const objectsUnder = (prefix: string) =>
      JSON.stringify({ 'Fn::Join': ['', [bucketArn, `/${prefix}*`]] });

    expect(resourcesOf('s3:GetObject')).toEqual([
      objectsUnder('batch/input/'),
      objectsUnder('batch/output/'),
    ]);
    for (const write of ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload']) {
      expect(resourcesOf(write)).toEqual([objectsUnder('batch/output/')]);
    }
    // Listing names is bucket-wide (S3 has no per-prefix 404); no other action touches the bucket.
    expect(resourcesOf('s3:ListBucket')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [batchBucketId(), 'Arn'] }),
    ]);
    const allowed = new Set([
      's3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts', 's3:ListBucket',
    ]);
    for (const statement of s3Statements) {
      for (const action of [statement.Action].flat()) expect(allowed.has(action)).toBe(true);
    }
  });
});

describe('Construct: ServiceMonitoring', () => {
  it('alarms on API 5xx and latency, endpoint errors and latency per variant, dead letters', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmDescription: Match.stringLikeRegexp('^adcopy: ') },
    })) as any[];
    const byMetric = alarms.map(
      (alarm) => `${alarm.Properties.MetricName}:${alarm.Properties.Threshold}`,
    );
    expect(byMetric.sort()).toEqual([
      'ApproximateNumberOfMessagesVisible:1',
      'Invocation5XXErrors:5',
      'Invocation5XXErrors:5',
      'ModelLatency:15000000',
      'ModelLatency:15000000',
      'Url5xxCount:5',
      'UrlRequestLatency:20000',
    ]);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/AlarmTopic/) }]);
    }
  });

  it('encrypts the alarm topic with a key CloudWatch may use', () => {
    const topic = onlyResource(template, 'AWS::SNS::Topic');
    const keyId = topic.KmsMasterKeyId['Fn::GetAtt'][0];
    const keyPolicy = template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement;
    expect(keyPolicy).toContainEqual(expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    }));
  });
});
