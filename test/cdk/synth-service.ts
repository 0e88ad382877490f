/**
 * Builds the adcopy app for the CDK tests the way `cdk/bin/adcopy.ts` does (same context
 * handling, same stacks), with stand-in function entries, rules and engine context so a synth
 * does not depend on other units' code.
 * @module
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

import { addAdcopyStacks, type AdcopyStacks } from '../../cdk/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The context the CLI gives the app from cdk.json, so tests see the same feature flags. */
const CDK_JSON_CONTEXT = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8'),
).context as Record<string, unknown>;

/** A synthesized app: its stacks and their templates. */
export interface SynthedService extends AdcopyStacks {
  readonly app: App;
  readonly template: Template;
  readonly edgeTemplate: Template;
}

/** How to synthesize. */
export interface SynthOptions {
  /** Context, as `-c key=value` gives it. @default {} */
  readonly context?: Record<string, unknown>;

  /**
   * Whether cdk-nag and CloudFormation's own template checks run. They take most of a synth's
   * ten seconds, so only the tests about them turn them on.
   * @default false
   */
  readonly checks?: boolean;
}

/**
 * Synthesizes the app.
 *
 * @example
 * const { template } = synthService({ context: { cache: 'true' } });
 */
export function synthService({ context = {}, checks = false }: SynthOptions = {}): SynthedService {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'adcopy-cdk-')),
    context: { ...CDK_JSON_CONTEXT, ...context },
    builtinCloudFormationValidation: checks,
  });
  const stacks = addAdcopyStacks(app, {
    nagChecks: checks,
    overrides: {
      apiEntry: join(FIXTURES, 'handler.ts'),
      batchEntry: join(FIXTURES, 'handler.ts'),
      rulesDir: join(FIXTURES, 'rules'),
      engineContext: join(FIXTURES, 'engine-context'),
    },
  });

  return {
    app,
    ...stacks,
    template: Template.fromStack(stacks.service),
    edgeTemplate: Template.fromStack(stacks.edge),
  };
}

/** The properties of the one resource of a type; throws when there is not exactly one. */
export function onlyResource(template: Template, type: string): Record<string, any> {
  const found = Object.values(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return (found[0] as { Properties: Record<string, any> }).Properties;
}
