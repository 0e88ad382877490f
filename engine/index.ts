/**
 * @module
 * The engine unit: a serving runtime over llama.cpp kernels (SageMaker serving contract).
 * Others use it only through these exports.
 */

export { RANDOM_WEIGHTS_NOTE, startEngine } from './engine.js';
export type { EngineOptions, RunningEngine } from './engine.js';
export { engineOptionsFromEnv } from './config.js';
export type { GenerateResponse } from './server.js';
