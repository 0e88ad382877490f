import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiDeps, createApp, readApiConfig } from '../../functions/api/index.js';
import { HttpEngine } from '../../layers/engine-client/index.js';
import { createLogger } from '../../layers/observability/index.js';
import { startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { CountingEngine, json, postJson } from './helpers.js';

const BRIEF = {
  brand: '山茶',
  product: '冷泡乌龙',
  features: ['0糖'],
  language: 'zh',
  variants: 1,
};
const CALLERS = Array.from({ length: 2000 }, (_, i) => `caller-${i}`);

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

let engine: Awaited<ReturnType<typeof startTestEngine>>;

beforeAll(async () => {
  engine = await startTestEngine(SHARED_TINY_MODEL, { contextSize: 2048 });
});
afterAll(async () => engine?.close());

/** The API over the real engine with `AB_VARIANTS` set; the rate limit is lifted for the crowd. */
function abApi(abVariants: string, env: NodeJS.ProcessEnv = {}) {
  const counting = new CountingEngine(new HttpEngine({ baseUrl: engine.url }));
  const config = readApiConfig({ AB_VARIANTS: abVariants, RATE_LIMIT_BURST: '1000000', ...env });
  const deps = createApiDeps(config, { engine: counting, logger: createLogger('adcopy-ab-test') });
  return { app: createApp(deps), engine: counting };
}

/** The production variant that answered `caller` (open API: the caller names itself). */
async function variantFor(app: ReturnType<typeof createApp>, caller: string): Promise<string> {
  const response = await postJson(app, '/v1/copies', BRIEF, { 'x-caller-id': caller });
  expect(response.status).toBe(200);
  return (await json(response)).productionVariant;
}

async function assign(app: ReturnType<typeof createApp>): Promise<Map<string, string>> {
  const assigned = new Map<string, string>();
  for (const caller of CALLERS) assigned.set(caller, await variantFor(app, caller));
  return assigned;
}

function share(assigned: Map<string, string>, variant: string): number {
  return [...assigned.values()].filter((name) => name === variant).length / assigned.size;
}

describe('A/B assignment of production variants', () => {
  let ninetyTen: Awaited<ReturnType<typeof assign>>;
  let api: ReturnType<typeof abApi>;

  beforeAll(async () => {
    api = abApi('blue:90,green:10');
    ninetyTen = await assign(api.app);
  });

  it('splits callers roughly as the weights say', () => {
    expect(share(ninetyTen, 'green')).toBeGreaterThan(0.075);
    expect(share(ninetyTen, 'green')).toBeLessThan(0.125);
    expect(share(ninetyTen, 'blue') + share(ninetyTen, 'green')).toBe(1);
  });

  it('gives the same caller the same variant on every request', async () => {
    const sample = CALLERS.slice(0, 50);
    const again = await Promise.all(sample.map((caller) => variantFor(api.app, caller)));

    expect(again).toEqual(sample.map((caller) => ninetyTen.get(caller)));
  });

  it('caches per variant, so the crowd costs one generation per variant', () => {
    expect(api.engine.calls).toBeGreaterThanOrEqual(2);
    expect(api.engine.calls).toBeLessThanOrEqual(2 * 3);
  });

  it('splits equal shares for names without weights', async () => {
    const even = await assign(abApi('blue,green,purple').app);

    for (const variant of ['blue', 'green', 'purple']) {
      expect(share(even, variant)).toBeGreaterThan(0.3);
      expect(share(even, variant)).toBeLessThan(0.37);
    }
  });

  it('moves callers only towards the variant whose share grew when the split is ramped', async () => {
    const ramped = await assign(abApi('blue:50,green:50').app);
    const greenBefore = CALLERS.filter((caller) => ninetyTen.get(caller) === 'green');

    expect(share(ramped, 'green')).toBeGreaterThan(0.46);
    expect(share(ramped, 'green')).toBeLessThan(0.54);
    expect(greenBefore.filter((caller) => ramped.get(caller) !== 'green')).toEqual([]);
  });

  it('draws groups afresh for a new experiment', async () => {
    const next = await assign(abApi('red:90,yellow:10').app);
    const greenThenYellow = CALLERS.filter(
      (c) => ninetyTen.get(c) === 'green' && next.get(c) === 'yellow',
    );

    // Independent draws put about 10% of the old green group into the new yellow one, not all.
    expect(greenThenYellow.length / (share(ninetyTen, 'green') * CALLERS.length)).toBeLessThan(
      0.25,
    );
  });

  it('assigns by the API key id when keys are configured, whatever x-caller-id says', async () => {
    const keyed = abApi('blue,green', {
      API_KEYS: 'team-a:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    });
    const answers = await Promise.all(
      ['x', 'y', 'z'].map(async (caller) => {
        const response = await postJson(keyed.app, '/v1/copies', BRIEF, {
          authorization: 'Bearer test',
          'x-caller-id': caller,
        });
        return (await json(response)).productionVariant;
      }),
    );

    expect(new Set(answers).size).toBe(1);
  });
});

describe('AB_VARIANTS configuration', () => {
  it.each([['blue:0'], ['blue:x'], [':5'], ['blue:1:2'], ['blue,blue']])(
    'fails at start-up on %j',
    (text) => {
      expect(() => abApi(text)).toThrow(/AB_VARIANTS/);
    },
  );

  it('leaves the choice to the endpoint when no variants are set', async () => {
    const response = await postJson(abApi('').app, '/v1/copies', BRIEF, {
      'x-caller-id': 'caller-1',
    });
    expect((await json(response)).productionVariant).toBe('default');
  });
});
