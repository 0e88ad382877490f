import { Tags, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { AdcopyStack, type AdcopyStackProps } from './adcopy-stack.js';
import { EdgeSecurityStack } from './edge-security-stack.js';
import { serviceOptionsFromContext } from './service-options.js';

/** The stacks of one adcopy deployment. */
export interface AdcopyStacks {
  /** The WAF web ACL, in us-east-1. */
  readonly edge: EdgeSecurityStack;

  /** Everything else, in the service's region. */
  readonly service: AdcopyStack;
}

/** What a caller other than `cdk/bin` may change. */
export interface AddAdcopyStacksOptions {
  /**
   * Service stack props that win over the context (tests use stand-in entry files).
   * @default - none
   */
  readonly overrides?: Partial<Omit<AdcopyStackProps, 'webAclArn'>>;

  /**
   * Whether cdk-nag's AwsSolutions checks run at synth.
   * @default true
   */
  readonly nagChecks?: boolean;
}

/** The region of the service when neither context nor the AWS profile names one. */
const DEFAULT_REGION = 'us-east-1';

/**
 * Adds the adcopy stacks to an app, configured from its context, and the cdk-nag AwsSolutions
 * checks, which fail the synth on any finding that is not acknowledged with a reason.
 *
 * @param app the app; its context holds the options (see cdk/README.md)
 *
 * @example
 * const app = new App();
 * addAdcopyStacks(app);
 * app.synth();
 */
export function addAdcopyStacks(app: App, options: AddAdcopyStacksOptions = {}): AdcopyStacks {
  const context = serviceOptionsFromContext(app.node);
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = context.region ?? process.env.CDK_DEFAULT_REGION ?? DEFAULT_REGION;

  const edge = new EdgeSecurityStack(app, 'AdcopyEdge', {
    env: { account, region: 'us-east-1' },
    description: 'adcopy: WAF web ACL of the API distribution (us-east-1)',
    requestsPerFiveMinutes: context.requestsPerFiveMinutes,
  });
  const service = new AdcopyStack(app, 'Adcopy', {
    ...context.stack,
    ...options.overrides,
    env: { account, region },
    description: 'adcopy: ad-copy generation service',
    // The web ACL lives in us-east-1; a service elsewhere reads its ARN across regions.
    crossRegionReferences: region !== 'us-east-1',
    webAclArn: edge.webAclArn,
  });

  // One tag on everything, so cost reports can show the service's share.
  Tags.of(edge).add('service', 'adcopy');
  Tags.of(service).add('service', 'adcopy');

  if (options.nagChecks ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return { edge, service };
}
