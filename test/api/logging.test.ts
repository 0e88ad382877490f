import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { createApiDeps, createApp, readApiConfig } from '../../functions/api/index.js';
import { createLogger } from '../../layers/observability/index.js';
import { startTestEngine } from '../helpers/engine.js';
import { SHARED_TINY_MODEL } from '../helpers/models.js';
import { json, postJson } from './helpers.js';

const SECRET_PRODUCT = '机密新品代号青鸟';

let engine: Awaited<ReturnType<typeof startTestEngine>>;

beforeAll(async () => {
  engine = await startTestEngine(SHARED_TINY_MODEL, { contextSize: 2048 });
});
afterAll(async () => engine?.close());

describe('Logs', () => {
  it('write one copy_generated event per answer, with ids and verdict but no brief text', async () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const previous = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    try {
      const config = readApiConfig({ ENGINE_URL: engine.url });
      const app = createApp(createApiDeps(config, { logger: createLogger('adcopy-api') }));
      const response = await postJson(
        app,
        '/v1/copies',
        {
          product: SECRET_PRODUCT,
          features: ['私人电话13800138000'],
          language: 'zh',
        },
        { 'x-api-key': 'sk-should-never-be-logged' },
      );
      const body = await json(response);
      expect(response.status).toBe(200);

      const records = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
      const events = records.filter((record) => record.message === 'copy_generated');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        request_id: body.requestId,
        copy_id: body.id,
        production_variant: 'default',
        model: engine.modelId,
        verdict: 'passed',
      });
      for (const record of records.filter((r) => r.service === 'adcopy-api' && !r._aws)) {
        expect(record.request_id).toBe(body.requestId);
      }
      const everything = lines.join('\n');
      expect(everything).not.toContain(SECRET_PRODUCT);
      expect(everything).not.toContain('13800138000');
      expect(everything).not.toContain('sk-should-never-be-logged');
    } finally {
      write.mockRestore();
      process.env.POWERTOOLS_LOG_LEVEL = previous;
    }
  });
});
