import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { AdcopyStack } from './adcopy-stack.js';
import { EdgeSecurityStack } from './edge-security-stack.js';
import { serviceOptionsFromContext } from './service-options.js';

/** The stacks of one adcopy deployment. */
export interface AdcopyStacks {
  readonly edge: EdgeSecurityStack;
  readonly service: AdcopyStack;
}

/** The region of the service when neither context nor the AWS profile names one. */
const DEFAULT_REGION = 'us-east-1';

/**
 * Adds the adcopy stacks to an app, configured from its context, and the cdk-nag AwsSolutions
 * checks, which fail the synth on any finding that is not acknowledged with a reason.
 *
 * @example
 * const app = new App();
 * addAdcopyStacks(app);
 * app.synth();
 */
export function addAdcopyStacks(app: App): AdcopyStacks {
  const options = serviceOptionsFromContext(app.node);
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = options.region ?? process.env.CDK_DEFAULT_REGION ?? DEFAULT_REGION;

  const edge = new EdgeSecurityStack(app, 'AdcopyEdge', {
    env: { account, region: 'us-east-1' },
    description: 'adcopy: WAF web ACL of the API distribution (us-east-1)',
    requestsPerFiveMinutes: options.requestsPerFiveMinutes,
  });
  const service = new AdcopyStack(app, 'Adcopy', {
    ...options.stack,
    env: { account, region },
    description: 'adcopy: ad-copy generation service',
    // The web ACL lives in us-east-1; a service elsewhere reads its ARN across regions.
    crossRegionReferences: region !== 'us-east-1',
    webAclArn: edge.webAclArn,
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { edge, service };
}
