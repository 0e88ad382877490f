import { Stack, Token, type StackProps } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { ConfigurationError } from './errors.js';

/**
 * Properties of an {@link EdgeSecurityStack}.
 */
export interface EdgeSecurityStackProps extends StackProps {
  /**
   * Requests one client IP may send in any five minutes before WAF answers 429.
   * @default 1000
   */
  readonly requestsPerFiveMinutes?: number;
}

/**
 * The WAF web ACL in front of the API's CloudFront distribution. CloudFront-scoped web ACLs exist
 * only in us-east-1, so this stack lives there whatever region the service uses.
 *
 * @example
 * const edge = new EdgeSecurityStack(app, 'AdcopyEdge', { env: { region: 'us-east-1' } });
 * new AdcopyStack(app, 'Adcopy', { webAclArn: edge.webAclArn, ... });
 */
export class EdgeSecurityStack extends Stack {
  /** ARN of the web ACL, for the distribution's `webAclId`. */
  public readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: EdgeSecurityStackProps = {}) {
    super(scope, id, props);
    if (Token.isUnresolved(this.region) || this.region !== 'us-east-1') {
      const message = `the edge stack must be deployed to us-east-1, got ${this.region}`;
      throw new ConfigurationError('EdgeRegion', message, this);
    }

    const limit = props.requestsPerFiveMinutes ?? 1000;
    if (!Number.isInteger(limit) || limit < 10) {
      const message = `requestsPerFiveMinutes must be a whole number >= 10, got ${limit}`;
      throw new ConfigurationError('BadRateLimit', message, this);
    }

    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      description: 'adcopy API: per-IP rate limit and known bad inputs',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('adcopy-web-acl'),
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP' } },
          // 429 like the API's own overload answer. No Retry-After: WAF prefixes custom header
          // names with x-amzn-waf-, so it cannot send that header.
          action: { block: { customResponse: { responseCode: 429 } } },
          visibilityConfig: visibility('adcopy-rate-limit'),
        },
        {
          name: 'KnownBadInputs',
          priority: 1,
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: 'AWSManagedRulesKnownBadInputsRuleSet',
            },
          },
          overrideAction: { none: {} },
          visibilityConfig: visibility('adcopy-known-bad-inputs'),
        },
      ],
    });
    this.webAclArn = webAcl.attrArn;
  }
}

function visibility(metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { metricName, cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true };
}
