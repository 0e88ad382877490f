import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';

import { ConfigurationError, serviceOptionsFromContext } from '../../cdk/index.js';
import { onlyResource, synthService } from './synth-service.js';

describe('Function: serviceOptionsFromContext', () => {
  it('reads JSON values from cdk.json the same as strings from -c', () => {
    // GIVEN the same options once as cdk.json holds them and once as the command line gives them
    const fromJson = serviceOptionsFromContext(new App({
      context: {
        cache: true,
        maxInstances: 12,
        variants: [{ name: 'blue', weight: 3 }, { name: 'green', weight: 1 }],
      },
    }).node);
    const fromFlags = serviceOptionsFromContext(new App({
      context: { cache: 'true', maxInstances: '12', variants: 'blue:3,green:1' },
    }).node);

    // THEN both read the same
    expect(fromJson).toEqual(fromFlags);
    expect(fromJson.stack).toMatchObject({
      cache: true,
      scaling: { maxInstances: 12 },
      variants: [{ name: 'blue', weight: 3 }, { name: 'green', weight: 1 }],
    });
  });

  it('leaves every option unset without context, so the constructs\' defaults apply', () => {
    const options = serviceOptionsFromContext(new App().node);

    // toEqual treats an undefined property as absent.
    expect(options).toEqual({ stack: { scaling: {} } });
  });
});

describe('Option: cache=true', () => {
  // GIVEN the shared cache switched on, as `cdk deploy -c cache=true` does
  const { template } = synthService({ context: { cache: 'true' } });

  it('creates a serverless Redis cache in a VPC without NAT or internet access', () => {
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'redis',
      SubnetIds: Match.arrayWith([{ Ref: Match.anyValue() }]),
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  it('gives the functions endpoints for S3, SageMaker Runtime and Secrets Manager', () => {
    const routeTables = Object.keys(template.findResources('AWS::EC2::RouteTable'));
    expect(routeTables).toHaveLength(2);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.s3$')])] },
      RouteTableIds: routeTables.map((id) => ({ Ref: id })),
    });
    for (const service of ['sagemaker.runtime', 'secretsmanager']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        ServiceName: `com.amazonaws.us-east-1.${service}`,
      });
    }
  });

  it('puts both functions in the VPC with the Redis URL, and lets only them reach Redis', () => {
    // The API and batch functions; CDK's own helper functions run on other runtimes.
    const functions = Object.values(template.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs22.x', Architectures: ['arm64'] },
    })) as any[];
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      expect(fn.Properties.VpcConfig.SubnetIds).toHaveLength(2);
      expect(JSON.stringify(fn.Properties.Environment.Variables.REDIS_URL)).toContain('rediss://');
    }

    const clientGroup = functions[0].Properties.VpcConfig.SecurityGroupIds[0]['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 6379,
      ToPort: 6380,
      SourceSecurityGroupId: { 'Fn::GetAtt': [clientGroup, 'GroupId'] },
    });
  });
});

describe('Option: scaling, instance type, variants and batch numbers from context', () => {
  // GIVEN every number overridden the way `-c key=value` passes it: as strings
  const { template } = synthService({
    context: {
      instanceType: 'ml.g5.12xlarge',
      variants: 'champion:9,challenger:1',
      minInstances: '3',
      maxInstances: '12',
      gpuHighPercent: '80',
      cpuLowPercent: '25',
      scaleOutCooldownSeconds: '240',
      batchConcurrency: '8',
      modelFile: 'adcopy-q4_k_m-00001-of-00002.gguf',
    },
  });

  it('sizes the variants and their traffic split from the context', () => {
    const config = onlyResource(template, 'AWS::SageMaker::EndpointConfig');
    expect(config.ProductionVariants.map((variant: any) => [
      variant.VariantName, variant.InitialVariantWeight, variant.InstanceType,
      variant.InitialInstanceCount,
    ])).toEqual([
      ['champion', 9, 'ml.g5.12xlarge', 3],
      ['challenger', 1, 'ml.g5.12xlarge', 3],
    ]);
  });

  it('names the endpoint after the instance type, so changing it replaces the endpoint', () => {
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      EndpointName: 'Adcopy-g5-12xlarge',
    });
  });

  it('scales between the given bounds and scales thresholds by the 4 GPUs and 48 vCPUs', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 3,
      MaxCapacity: 12,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GPUUtilization',
      Threshold: 320,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CPUUtilization',
      Threshold: 1200,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      StepScalingPolicyConfiguration: Match.objectLike({ Cooldown: 240 }),
    });
  });

  it('starts the engine on the named GGUF file inside the copied prefix', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: Match.objectLike({
        Environment: { MODEL_PATH: '/opt/ml/model/adcopy-q4_k_m-00001-of-00002.gguf' },
      }),
    });
  });

  it('tells the API the variant names and bounds the batch concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AB_VARIANTS: 'champion:9,challenger:1' }) },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 8 },
    });
  });
});

describe('Option: a variant drained to weight 0', () => {
  it('keeps it on the endpoint but out of the API\'s A/B split', () => {
    const { template } = synthService({ context: { variants: 'blue:1,green:0' } });

    const config = onlyResource(template, 'AWS::SageMaker::EndpointConfig');
    expect(config.ProductionVariants.map((v: any) => v.InitialVariantWeight)).toEqual([1, 0]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AB_VARIANTS: 'blue:1' }) },
    });
  });
});

describe('Option: a single variant', () => {
  it('serves ModelDataUrl alone, with no challenger parameter', () => {
    const { template } = synthService({ context: { variants: 'solo:1' } });

    expect(Object.keys(template.toJSON().Parameters)).not.toContain('ChallengerModelDataUrl');
    expect(template.toJSON().Conditions).toBeUndefined();
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: Match.objectLike({
        ModelDataSource: { S3DataSource: Match.objectLike({ S3Uri: { Ref: 'ModelDataUrl' } }) },
      }),
    });
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
  });
});

describe('Option: retainData=true', () => {
  it('keeps both buckets and their objects on destroy', () => {
    const { template } = synthService({ context: { retainData: 'true' } });

    const buckets = Object.values(template.findResources('AWS::S3::Bucket')) as any[];
    expect(buckets.map((bucket) => bucket.DeletionPolicy)).toEqual(['Retain', 'Retain']);
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });
});

describe('Option: region', () => {
  it('keeps the web ACL in us-east-1 and reads its ARN across regions', () => {
    // GIVEN a service in eu-west-1
    const { service, edge, template } = synthService({ context: { region: 'eu-west-1' } });

    // THEN the edge stack stays in us-east-1 and CloudFront gets the ARN through a reader
    expect(service.region).toBe('eu-west-1');
    expect(edge.region).toBe('us-east-1');
    const distribution = onlyResource(template, 'AWS::CloudFront::Distribution');
    expect(JSON.stringify(distribution.DistributionConfig.WebACLId)).toMatch(/ExportsReader/);
  });
});

describe('Function: serviceOptionsFromContext (failures)', () => {
  const failures: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['fails when min exceeds max', { minInstances: '30' }, 'BadScalingRange',
      /minInstances \(30\) must not exceed maxInstances \(20\)/],
    ['fails on a percent outside 0-100', { gpuHighPercent: '170' }, 'BadScalingPercent',
      /gpuHighPercent must be between 0 and 100, got 170/],
    ['fails on a number that is not one', { maxInstances: 'twenty' }, 'BadContext',
      /context maxInstances must be a number, got "twenty"/],
    ['fails on a fractional instance count', { maxInstances: '2.5' }, 'BadScalingNumber',
      /maxInstances must be a whole number >= 1, got 2.5/],
    ['fails on a flag that is not a boolean', { cache: 'yes' }, 'BadContext',
      /context cache must be true or false, got "yes"/],
    ['fails on an instance type of unknown size', { instanceType: 'ml.x9.huge' },
      'UnknownInstanceType', /no vCPU\/GPU counts known for ml\.x9\.huge/],
    ['fails on a variant without a name in cdk.json', { variants: [{ weight: 1 }] },
      'BadContext', /context variants must be a list of \{name, weight\}, got \[\{"weight":1\}\]/],
    ['fails on twice the same variant', { variants: 'blue:1,blue:1' }, 'DuplicateVariant',
      /variant names must differ, got blue, blue/],
    ['fails when no variant gets traffic', { variants: 'blue:0,green:0' }, 'NoTraffic',
      /at least one variant needs a weight above 0/],
    ['fails on a variant name SageMaker refuses', { variants: 'blue_1:1,green:1' },
      'BadVariantName', /variant name must be letters, digits and hyphens, got "blue_1"/],
    ['fails on a batch concurrency below the SQS minimum', { batchConcurrency: '1' },
      'BadBatchConcurrency', /batch maxConcurrency must be a whole number 2-1000, got 1/],
    ['fails on a model file given with a folder', { modelFile: 'v3/model.gguf' },
      'BadModelFileName',
      /modelFileName must be a \.gguf file name without folders, got "v3\/model\.gguf"/],
    ['fails on a WAF limit below its floor', { requestsPerFiveMinutes: '5' }, 'BadRateLimit',
      /requestsPerFiveMinutes must be a whole number >= 10, got 5/],
  ];

  it.each(failures)('%s', (_name, context, code, message) => {
    let thrown: unknown;
    try {
      synthService({ context });
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as ConfigurationError).code).toBe(code);
    expect((thrown as ConfigurationError).message).toMatch(message);
  });

  it('accepts an unknown instance type when its vCPUs and GPUs are given', () => {
    const { template } = synthService({
      context: { instanceType: 'ml.g7.xlarge', vcpusPerInstance: '4', gpusPerInstance: '2' },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GPUUtilization',
      Threshold: 140,
    });
  });
});
