import { describe, expect, it } from 'vitest';

import { engineOptionsFromEnv } from '../../engine/config.js';

describe('engineOptionsFromEnv', () => {
  it.each([
    ['ENGINE_LANES', '0', 'ENGINE_LANES must be a whole number of at least 1, got "0"'],
    ['ENGINE_THREADS', '0', 'ENGINE_THREADS must be a whole number of at least 1, got "0"'],
    ['ENGINE_SLOTS', '0', 'ENGINE_SLOTS must be a whole number of at least 1, got "0"'],
    ['ENGINE_MAX_NEW_TOKENS', '0', 'ENGINE_MAX_NEW_TOKENS must be a whole number of at least 1'],
    ['ENGINE_THREADS', '1.5', 'ENGINE_THREADS must be a whole number of at least 1, got "1.5"'],
    ['ENGINE_STREAM_FLUSH_MS', '5ms',
      'ENGINE_STREAM_FLUSH_MS must be a whole number of at least 0, got "5ms"'],
  ])('refuses %s=%s, naming it', (name, value, message) => {
    expect(() => engineOptionsFromEnv({ [name]: value })).toThrow(message);
  });

  it('refuses more lanes than slots, which would build contexts without a slot', () => {
    expect(() => engineOptionsFromEnv({ ENGINE_LANES: '8', ENGINE_SLOTS: '4' }))
      .toThrow('ENGINE_LANES (8) must not exceed ENGINE_SLOTS (4)');
    expect(() => engineOptionsFromEnv({ ENGINE_LANES: '9' }))
      .toThrow('ENGINE_LANES (9) must not exceed ENGINE_SLOTS (8)');
  });

  it('keeps zero where zero means something: no GPU layers, no queue, an OS-chosen port', () => {
    const options = engineOptionsFromEnv({ ENGINE_GPU_LAYERS: '0', ENGINE_QUEUE_LIMIT: '0',
      ENGINE_PORT: '0', ENGINE_LANES: '2', ENGINE_SLOTS: '2', ENGINE_STREAM_FLUSH_MS: '0',
      ENGINE_DRAFT_TOKENS: '0' });

    expect(options).toMatchObject({ gpuLayers: 0, queueLimit: 0, port: 0, lanes: 2, slots: 2,
      streamFlushMs: 0, draftTokens: 0 });
  });
});
