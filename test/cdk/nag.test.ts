import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';

import { synthService } from './synth-service.js';

describe('Checks: cdk-nag AwsSolutions', () => {
  // The synth itself runs the checks and CloudFormation's template validation, and fails on any
  // finding; the explicit report below says which, should one appear.
  it.each([
    ['defaults', {}],
    ['shared cache', { cache: 'true' }],
    ['service outside us-east-1', { region: 'eu-west-1', cache: 'true' }],
  ])('reports no unacknowledged error with %s', (_name, context) => {
    const { app } = synthService({ context, checks: true });

    const report = new AwsSolutionsChecks().validateScope(app);
    const errors = report.violations.filter((violation) => violation.severity === 'error');
    expect(errors.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('gives every acknowledgement a reason', () => {
    const { app } = synthService({ context: { cache: 'true' } });

    const acknowledged = app.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
    );
    expect(acknowledged.length).toBeGreaterThan(10);
    for (const [rule, reason] of acknowledged) {
      // A reason is a sentence about this resource, not a placeholder.
      const words = reason.trim().split(/\s+/).length;
      expect({ rule, sentence: words >= 6 }).toEqual({ rule, sentence: true });
    }
  });
});
