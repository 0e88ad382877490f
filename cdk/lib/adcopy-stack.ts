import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  CfnCondition, CfnOutput, CfnParameter, Duration, Fn, RemovalPolicy, Stack, Validations,
  type StackProps,
} from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

import { BatchPipeline } from './batch-pipeline.js';
import { ComplianceRulesLayer, COMPLIANCE_RULES_PATH } from './compliance-rules-layer.js';
import { CopyApi } from './copy-api.js';
import { ConfigurationError } from './errors.js';
import { InferenceEndpoint } from './inference-endpoint.js';
import { knownInstanceShape, type InstanceShape } from './private/instance-types.js';
import { ServiceMonitoring, type AlarmThresholds } from './service-monitoring.js';
import { SharedCache } from './shared-cache.js';
import {
  DEFAULT_SCALING, VariantAutoScaling, type ScalingNumbers,
} from './variant-autoscaling.js';

/** The repository root, two folders above this file. */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A production variant as the stack takes it: name and traffic weight. */
export interface VariantWeight {
  /** Variant name: letters, digits and hyphens. */
  readonly name: string;

  /** Relative share of the traffic; 0 drains the variant. */
  readonly weight: number;
}

/**
 * Properties of an {@link AdcopyStack}. The weights prefix is not among them: it is the
 * deploy-time parameter `ModelDataUrl` (and `ChallengerModelDataUrl`), so a new model ships with
 * `cdk deploy --parameters` and no new synth.
 */
export interface AdcopyStackProps extends StackProps {
  /** ARN of the CloudFront-scoped web ACL, from the {@link EdgeSecurityStack}. */
  readonly webAclArn: string;

  /**
   * SageMaker GPU instance type of the endpoint.
   * @default 'ml.g5.xlarge'
   */
  readonly instanceType?: string;

  /**
   * vCPUs and GPUs of one instance, needed only for a type the built-in table lacks.
   * @default - looked up from instanceType
   */
  readonly instanceShape?: InstanceShape;

  /**
   * Production variants and their traffic weights. The first serves `ModelDataUrl`, the others
   * `ChallengerModelDataUrl` (or `ModelDataUrl` when that is empty).
   * @default blue and green, weight 1 each
   */
  readonly variants?: readonly VariantWeight[];

  /**
   * Name of the GGUF file in each weights prefix.
   * @default 'model.gguf'
   */
  readonly modelFileName?: string;

  /** @default DEFAULT_SCALING */
  readonly scaling?: ScalingNumbers;

  /**
   * Whether the functions share a Redis cache (ElastiCache Serverless, functions in a VPC);
   * otherwise each function instance keeps its own in-memory cache.
   * @default false
   */
  readonly cache?: boolean;

  /** Most batch functions at once. @default 4 */
  readonly batchConcurrency?: number;

  /** Days before batch outputs expire. @default 30 */
  readonly outputRetentionDays?: number;

  /** Whether `cdk destroy` keeps the buckets. @default false */
  readonly retainData?: boolean;

  /** @default - the defaults of AlarmThresholds */
  readonly alarms?: AlarmThresholds;

  /** E-mail subscribed to the alarms. @default - none */
  readonly alarmEmail?: string;

  /** @default 'functions/api/lambda.ts' in this repository */
  readonly apiEntry?: string;

  /** @default 'functions/batch/lambda.ts' in this repository */
  readonly batchEntry?: string;

  /** @default 'layers/compliance/rules' in this repository */
  readonly rulesDir?: string;

  /**
   * Build context of the engine image; its Dockerfile is `engine/Dockerfile` inside it.
   * @default this repository
   */
  readonly engineContext?: string;
}

/** The variants the API's `AB_VARIANTS` names by default. */
const DEFAULT_VARIANTS: readonly VariantWeight[] = [
  { name: 'blue', weight: 1 },
  { name: 'green', weight: 1 },
];

/** An S3 prefix URL: bucket name rules, then a key prefix ending in a slash. */
const S3_PREFIX_PATTERN = 's3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([^/]+/)*';

/**
 * The whole adcopy service in one region: the SageMaker endpoint with A/B variants and their
 * scaling, the API behind CloudFront, the S3 batch pipeline, the compliance rules layer, the
 * optional shared cache, and alarms with a dashboard.
 *
 * @example
 * const edge = new EdgeSecurityStack(app, 'AdcopyEdge', { env: { region: 'us-east-1' } });
 * new AdcopyStack(app, 'Adcopy', { env, webAclArn: edge.webAclArn, cache: true });
 */
export class AdcopyStack extends Stack {
  /** The inference endpoint. */
  public readonly endpoint: InferenceEndpoint;

  /** The API. */
  public readonly api: CopyApi;

  /** The batch pipeline. */
  public readonly batch: BatchPipeline;

  /** Scaling of each variant, by variant name. */
  public readonly scaling: Record<string, VariantAutoScaling> = {};

  /** The shared cache, when enabled. */
  public readonly cache?: SharedCache;

  constructor(scope: Construct, id: string, props: AdcopyStackProps) {
    super(scope, id, props);
    const variants = props.variants ?? DEFAULT_VARIANTS;
    const instanceType = props.instanceType ?? 'ml.g5.xlarge';
    const instanceShape = this.resolveShape(instanceType, props.instanceShape);

    this.endpoint = this.createEndpoint(props, variants, instanceType);
    for (const variant of variants) {
      this.scaling[variant.name] = new VariantAutoScaling(this, `Scaling-${variant.name}`, {
        endpointName: this.endpoint.endpointName,
        variantName: variant.name,
        instanceShape,
        scaling: props.scaling,
      });
      this.scaling[variant.name]!.node.addDependency(this.endpoint);
    }

    this.cache = props.cache ? new SharedCache(this, 'Cache') : undefined;
    const functions = this.functionBase(props);
    const accessLogs = this.createAccessLogsBucket(props.retainData ?? false);
    this.api = new CopyApi(this, 'Api', {
      ...functions,
      entry: props.apiEntry ?? join(REPO_ROOT, 'functions/api/lambda.ts'),
      environment: {
        ...functions.environment,
        AB_VARIANTS: abVariants(variants),
        POWERTOOLS_SERVICE_NAME: 'adcopy-api',
      },
      webAclArn: props.webAclArn,
      accessLogsBucket: accessLogs,
    });
    this.batch = new BatchPipeline(this, 'Batch', {
      ...functions,
      entry: props.batchEntry ?? join(REPO_ROOT, 'functions/batch/lambda.ts'),
      environment: { ...functions.environment, POWERTOOLS_SERVICE_NAME: 'adcopy-batch' },
      accessLogsBucket: accessLogs,
      maxConcurrency: props.batchConcurrency,
      outputRetentionDays: props.outputRetentionDays,
      retainData: props.retainData,
    });
    this.endpoint.grantInvoke(this.api.handler);
    this.endpoint.grantInvoke(this.batch.handler);

    new ServiceMonitoring(this, 'Monitoring', {
      apiFunction: this.api.handler,
      batchFunction: this.batch.handler,
      jobs: this.batch.jobs,
      deadLetters: this.batch.deadLetters,
      endpointName: this.endpoint.endpointName,
      variantNames: this.endpoint.variantNames,
      thresholds: props.alarms,
      alarmEmail: props.alarmEmail,
    });
    this.addOutputs();
  }

  private createEndpoint(
    props: AdcopyStackProps,
    variants: readonly VariantWeight[],
    instanceType: string,
  ): InferenceEndpoint {
    return new InferenceEndpoint(this, 'Endpoint', {
      image: new ecrAssets.DockerImageAsset(this, 'EngineImage', {
        directory: props.engineContext ?? REPO_ROOT,
        file: 'engine/Dockerfile',
        platform: ecrAssets.Platform.LINUX_AMD64,
        // Staged at every synth: keep out what the image never needs, weights above all.
        exclude: ['node_modules', 'cdk.out', '.git', '.cache', '.tmp', 'test', '**/*.gguf'],
      }),
      variants: this.variantsWithWeights(variants),
      instanceType,
      // SageMaker will not change the instance type of a variant registered for scaling; a
      // name that follows the type makes such a change a replacement instead of a failed update.
      endpointName: `${this.stackName}-${instanceType.replace(/^ml\./, '').replace(/\./g, '-')}`,
      modelFileName: props.modelFileName,
      initialInstanceCount: props.scaling?.minInstances ?? DEFAULT_SCALING.minInstances,
    });
  }

  /** What both functions share: the rules layer, the network and the common environment. */
  private functionBase(props: AdcopyStackProps) {
    const rules = new ComplianceRulesLayer(this, 'ComplianceRules', {
      rulesDir: props.rulesDir ?? join(REPO_ROOT, 'layers/compliance/rules'),
    });
    const network = this.cache
      ? { vpc: this.cache.vpc, securityGroups: [this.cache.clientSecurityGroup] }
      : {};
    return {
      ...network,
      layers: [rules.layer],
      environment: {
        SAGEMAKER_ENDPOINT_NAME: this.endpoint.endpointName,
        COMPLIANCE_RULES_DIR: COMPLIANCE_RULES_PATH,
        POWERTOOLS_METRICS_NAMESPACE: 'adcopy',
        ...(this.cache ? { REDIS_URL: this.cache.redisUrl } : {}),
      },
    };
  }

  /** Weights prefix parameters, and which prefix each variant serves. */
  private variantsWithWeights(variants: readonly VariantWeight[]) {
    const modelDataUrl = new CfnParameter(this, 'ModelDataUrl', {
      description: 'S3 prefix of the GGUF weights of the first variant, s3://bucket/prefix/',
      allowedPattern: `^${S3_PREFIX_PATTERN}$`,
      constraintDescription: 'must look like s3://bucket/prefix/ (ending in a slash)',
    }).valueAsString;
    // A single variant has no challenger, and an unused parameter would only confuse.
    const challenger = variants.length > 1 ? this.challengerModelDataUrl(modelDataUrl) : '';

    return variants.map((variant, index) => ({
      ...variant,
      modelDataUrl: index === 0 ? modelDataUrl : challenger,
    }));
  }

  /** The optional parameter of the other variants' weights, falling back to the first's. */
  private challengerModelDataUrl(modelDataUrl: string): string {
    const challengerUrl = new CfnParameter(this, 'ChallengerModelDataUrl', {
      description: 'S3 prefix of the weights of the other variants; empty means ModelDataUrl',
      default: '',
      allowedPattern: `^(${S3_PREFIX_PATTERN})?$`,
      constraintDescription: 'must be empty or look like s3://bucket/prefix/',
    }).valueAsString;
    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W1030',
      reason:
        'The linter reads the empty default of ChallengerModelDataUrl as an S3 URI; the ' +
        'HasChallengerModel condition never lets the empty value reach a model.',
    });
    const hasChallenger = new CfnCondition(this, 'HasChallengerModel', {
      expression: Fn.conditionNot(Fn.conditionEquals(challengerUrl, '')),
    });
    return Fn.conditionIf(hasChallenger.logicalId, challengerUrl, modelDataUrl).toString();
  }

  private resolveShape(instanceType: string, given?: InstanceShape): InstanceShape {
    const shape = given ?? knownInstanceShape(instanceType);
    if (!shape) {
      const message =
        `no vCPU/GPU counts known for ${instanceType}; ` +
        'pass instanceShape (context vcpusPerInstance and gpusPerInstance)';
      throw new ConfigurationError('UnknownInstanceType', message, this);
    }
    return shape;
  }

  private createAccessLogsBucket(retain: boolean): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // CloudFront's standard logs are written with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'ExpireLogs', expiration: Duration.days(90) }],
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !retain,
    });
    return bucket;
  }

  private addOutputs() {
    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the API (CloudFront)',
      value: `https://${this.api.distribution.distributionDomainName}`,
    });
    new CfnOutput(this, 'EndpointName', { value: this.endpoint.endpointName });
    new CfnOutput(this, 'BatchBucketName', {
      description: 'Drop JSONL files under batch/input/; outputs appear under batch/output/',
      value: this.batch.bucket.bucketName,
    });
    new CfnOutput(this, 'ApiKeysSecretArn', { value: this.api.apiKeys.secretArn });
  }
}

/** The API pins each caller to a variant by these weights; a variant at 0 gets no callers. */
function abVariants(variants: readonly VariantWeight[]): string {
  return variants
    .filter((variant) => variant.weight > 0)
    .map((variant) => `${variant.name}:${variant.weight}`)
    .join(',');
}
