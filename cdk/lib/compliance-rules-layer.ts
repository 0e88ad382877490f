import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ConfigurationError } from './errors.js';

/**
 * Properties of a {@link ComplianceRulesLayer}.
 */
export interface ComplianceRulesLayerProps {
  /** Folder of the rule files (`*.json`), normally `layers/compliance/rules`. */
  readonly rulesDir: string;
}

/** Where the functions find the rules: layers are unpacked under /opt. */
export const COMPLIANCE_RULES_PATH = '/opt/compliance/rules';

/**
 * The compliance rule data as a Lambda layer shared by the API and the batch function, so a rule
 * change ships as a new layer version without touching the function code.
 *
 * @example
 * const rules = new ComplianceRulesLayer(this, 'ComplianceRules', {
 *   rulesDir: join(repoRoot, 'layers/compliance/rules'),
 * });
 * // in the function: environment COMPLIANCE_RULES_DIR = COMPLIANCE_RULES_PATH
 */
export class ComplianceRulesLayer extends Construct {
  /** The layer version. */
  public readonly layer: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: ComplianceRulesLayerProps) {
    super(scope, id);
    const ruleFiles = listRuleFiles(this, props.rulesDir);

    this.layer = new lambda.LayerVersion(this, 'Resource', {
      description: `adcopy compliance rules, ${ruleFiles.length} files at ${COMPLIANCE_RULES_PATH}`,
      compatibleRuntimes: [lambda.Runtime.NODEJS_20_X, lambda.Runtime.NODEJS_22_X],
      code: lambda.Code.fromAsset(props.rulesDir, {
        bundling: {
          // Only local staging is ever used; the image is named because the type requires one.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox'),
          local: { tryBundle: (outputDir) => stageRules(props.rulesDir, ruleFiles, outputDir) },
        },
      }),
    });
  }
}

function listRuleFiles(scope: Construct, rulesDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(rulesDir);
  } catch {
    const message = `compliance rules folder not found: ${rulesDir}`;
    throw new ConfigurationError('NoRulesDir', message, scope);
  }

  const ruleFiles = names.filter((name) => name.endsWith('.json')).sort();
  if (ruleFiles.length === 0) {
    throw new ConfigurationError('NoRules', `no *.json rule files in ${rulesDir}`, scope);
  }
  return ruleFiles;
}

/** Lays the files out as the layer zip must hold them: `compliance/rules/<file>`. */
function stageRules(rulesDir: string, ruleFiles: string[], outputDir: string): boolean {
  const target = join(outputDir, 'compliance', 'rules');
  mkdirSync(target, { recursive: true });
  for (const name of ruleFiles) {
    copyFileSync(join(rulesDir, name), join(target, name));
  }
  return true;
}
