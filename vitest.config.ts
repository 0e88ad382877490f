import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // node-llama-cpp is a native addon: run each file in its own process, not a worker thread.
    pool: 'forks',
    // Two cores: more parallel model-backed files only fight over them.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
