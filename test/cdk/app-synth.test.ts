import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The CLI run offline: no AWS credentials or region, no instance metadata, no notices, no
 * telemetry and no version check (cdk.json turns the last two off as well).
 */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('AWS_') || key.startsWith('CDK_')) delete env[key];
  }
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

/** Runs `npx cdk synth`; a failure carries the CLI's own last lines (the real reason). */
async function runCdkSynth(outdir: string): Promise<void> {
  try {
    await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', outdir], {
      cwd: REPO_ROOT,
      env: offlineEnv(),
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '');
    // Drop stack frames: what is left names the error and the construct it relates to.
    const reason = stderr
      .split('\n')
      .filter((line) => line.trim() && !/^\s+(at |\.\.\.)/.test(line))
      .slice(-12)
      .join('\n');
    throw new Error(`cdk synth failed:\n${reason}`);
  }
}

describe('App: cdk/bin/adcopy.ts through `npx cdk synth`', () => {
  it('synthesizes both stacks from the real entries, offline', { timeout: 120_000 }, async () => {
    // GIVEN a fresh output folder
    const outdir = mkdtempSync(join(tmpdir(), 'adcopy-cdk-cli-'));

    // WHEN the CLI runs the app the way a developer would
    await runCdkSynth(outdir);

    // THEN both templates exist, with the endpoint and the functions bundled from real code
    const service = JSON.parse(readFileSync(join(outdir, 'Adcopy.template.json'), 'utf8'));
    const edge = JSON.parse(readFileSync(join(outdir, 'AdcopyEdge.template.json'), 'utf8'));
    const types = Object.values(service.Resources).map((resource: any) => resource.Type);
    expect(types).toContain('AWS::SageMaker::Endpoint');
    expect(types).toContain('AWS::CloudFront::Distribution');
    expect(Object.values(edge.Resources).map((resource: any) => resource.Type)).toContain(
      'AWS::WAFv2::WebACL',
    );

    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    const bundles = assets.filter((name) => existsSync(join(outdir, name, 'index.mjs')));
    expect(bundles).toHaveLength(2);
    for (const bundle of bundles) {
      expect(readFileSync(join(outdir, bundle, 'index.mjs'), 'utf8')).toMatch(/handler/);
    }
    const layer = assets.find((name) => existsSync(join(outdir, name, 'compliance', 'rules')));
    expect(layer).toBeDefined();
    expect(readdirSync(join(outdir, layer!, 'compliance', 'rules')).length).toBeGreaterThan(0);
  });
});
