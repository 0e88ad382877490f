import { RemovalPolicy, Validations, type Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The AWS managed policies Lambda roles get, as cdk-nag names them in its findings. */
export const BASIC_EXECUTION_POLICY =
  'arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
const VPC_ACCESS_POLICY =
  'arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole';

/**
 * Where a function's code comes from and where it runs: what the API and batch constructs take.
 */
export interface FunctionSourceProps {
  /** Absolute path of the TypeScript entry that exports `handler`. */
  readonly entry: string;

  /** Environment of the function (endpoint, rules, cache, Powertools names). */
  readonly environment: Record<string, string>;

  /** Layers of the function (the compliance rules). */
  readonly layers: lambda.ILayerVersion[];

  /** @default - not in a VPC */
  readonly vpc?: ec2.IVpc;

  /** @default - none */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/** What differs between the API and the batch function; the rest is shared here. */
export interface AdcopyFunctionProps extends FunctionSourceProps {
  /** What the function does, shown in the console. */
  readonly description: string;

  /** Memory in MB; Lambda's CPU share grows with it. */
  readonly memorySize: number;

  /** Longest invocation. */
  readonly timeout: Duration;
}

/**
 * A Node.js function bundled by the local esbuild as one ESM file, on nodejs22.x / arm64, with
 * its own log group and source maps on.
 */
export function adcopyFunction(scope: Construct, id: string, props: AdcopyFunctionProps) {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logs.RetentionDays.ONE_MONTH,
    // `cdk destroy` removes the service whole; logs are not kept past it.
    removalPolicy: RemovalPolicy.DESTROY,
  });

  const fn = new nodejs.NodejsFunction(scope, id, {
    entry: props.entry,
    handler: 'handler',
    description: props.description,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    layers: props.layers,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    vpc: props.vpc,
    vpcSubnets: props.vpc ? { subnets: props.vpc.isolatedSubnets } : undefined,
    securityGroups: props.securityGroups,
    environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    bundling: {
      // Bundling runs offline with the esbuild in node_modules; Docker is never needed.
      forceDockerBundling: false,
      format: nodejs.OutputFormat.ESM,
      target: 'node22',
      mainFields: ['module', 'main'],
      minify: true,
      sourceMap: true,
      // Some CommonJS dependencies call require(); ESM output has none unless it is made here.
      banner:
        "import { createRequire as __adcopyRequire } from 'node:module';" +
        'const require = __adcopyRequire(import.meta.url);',
    },
  });

  Validations.of(fn).acknowledge(
    {
      id: 'AwsSolutions-L1',
      reason: 'nodejs22.x is the runtime the code is tested on (it also runs on Node 20).',
    },
    {
      id: `AwsSolutions-IAM4[Policy::${BASIC_EXECUTION_POLICY}]`,
      reason: 'The AWS basic execution policy only writes this function\'s logs.',
    },
    {
      id: `AwsSolutions-IAM4[Policy::${VPC_ACCESS_POLICY}]`,
      reason: 'The AWS VPC access policy only manages the network interfaces of this function.',
    },
  );
  return fn;
}
