import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's wildcard finding (AwsSolutions-IAM5) for exactly these resource ARNs on
 * a construct, with the reason. cdk-nag 3 names each finding after the flattened ARN, so the id
 * is derived the way cdk-nag derives it rather than copied from a synth log.
 */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  resourceArns: readonly string[],
  reason: string,
): void {
  const stack = Stack.of(scope);
  for (const arn of resourceArns) {
    const finding = flattenCfnReference(stack.resolve(arn));
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${finding}]`, reason });
  }
}
