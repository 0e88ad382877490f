/**
 * @module compliance/rules-dir
 * Where the rule files come from: `COMPLIANCE_RULES_DIR` when set, else the Lambda layer's
 * mount point, else the folder bundled beside this module.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the rules layer is mounted in Lambda. */
export const LAYER_RULES_DIR = '/opt/compliance/rules';

/** The rule files shipped with the code, the fallback when no layer is mounted. */
export const BUNDLED_RULES_DIR = fileURLToPath(new URL('./rules', import.meta.url));

/**
 * The folder to load rules from.
 * @param env - defaults to process.env
 */
export function resolveRulesDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.COMPLIANCE_RULES_DIR?.trim();
  if (configured) return configured;
  return existsSync(LAYER_RULES_DIR) ? LAYER_RULES_DIR : BUNDLED_RULES_DIR;
}
