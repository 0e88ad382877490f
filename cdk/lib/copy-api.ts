import { Duration, SecretValue, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

import { adcopyFunction, type FunctionSourceProps } from './private/adcopy-function.js';

/**
 * Properties of a {@link CopyApi}.
 */
export interface CopyApiProps extends FunctionSourceProps {
  /** ARN of the CloudFront-scoped WAF web ACL (it lives in us-east-1). */
  readonly webAclArn: string;

  /** Bucket that receives CloudFront's access logs. */
  readonly accessLogsBucket: s3.IBucket;
}

/** Longest generation the API waits for; CloudFront's origin read timeout follows it. */
const API_TIMEOUT = Duration.seconds(60);

/**
 * The HTTP API: the Hono function behind a Lambda Function URL in response-streaming mode, reached
 * only through CloudFront (HTTPS only, WAF attached, origin access control), and the Secrets
 * Manager secret that holds the hashed API keys.
 *
 * Origin access control signs CloudFront's requests to the URL with SigV4. Lambda does not accept
 * unsigned payloads, so clients must send `x-amz-content-sha256` (the hex SHA-256 of the body) on
 * POST requests.
 *
 * @example
 * const api = new CopyApi(this, 'Api', {
 *   entry: join(repoRoot, 'functions/api/lambda.ts'),
 *   environment: { SAGEMAKER_ENDPOINT_NAME: endpoint.endpointName, AB_VARIANTS: 'blue,green' },
 *   layers: [rules.layer],
 *   webAclArn,
 *   accessLogsBucket,
 * });
 */
export class CopyApi extends Construct {
  /** The API function. */
  public readonly handler: lambda.Function;

  /** The function URL (IAM auth; only CloudFront can call it). */
  public readonly functionUrl: lambda.FunctionUrl;

  /** The CloudFront distribution clients call. */
  public readonly distribution: cloudfront.Distribution;

  /** The secret with the hashed API keys. */
  public readonly apiKeys: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: CopyApiProps) {
    super(scope, id);

    this.apiKeys = new secretsmanager.Secret(this, 'ApiKeys', {
      description: 'adcopy API keys as id:sha256-hex entries, comma separated (cdk/README.md)',
      // Not a key: an entry no key hashes to, so the API refuses every caller until an operator
      // stores real entries. An empty secret would leave the API open.
      secretStringValue: SecretValue.unsafePlainText(`unset:${'0'.repeat(64)}`),
    });
    Validations.of(this.apiKeys).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Keys are issued to and rotated with each client by an operator; an automatic rotation ' +
        'would lock every client out.',
    });

    this.handler = adcopyFunction(this, 'Handler', {
      ...props,
      description: 'adcopy HTTP API (Hono, response streaming)',
      memorySize: 1024,
      timeout: API_TIMEOUT,
      environment: { API_KEYS_SECRET_ARN: this.apiKeys.secretArn, ...props.environment },
    });
    this.apiKeys.grantRead(this.handler);

    this.functionUrl = this.handler.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });
    this.distribution = this.createDistribution(props);
  }

  private createDistribution(props: CopyApiProps): cloudfront.Distribution {
    const distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'adcopy API',
      webAclId: props.webAclArn,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: props.accessLogsBucket,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: origins.FunctionUrlOrigin.withOriginAccessControl(this.functionUrl, {
          readTimeout: API_TIMEOUT,
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        // Every answer is generated per request; caching belongs to the API's own cache.
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
    });
    Validations.of(distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Advertisers call from many countries; there is no country to exclude.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default cloudfront.net certificate cannot pin TLS 1.2; a custom domain with its ' +
          'own certificate lifts the minimum (see cdk/README.md).',
      },
    );
    return distribution;
  }
}
