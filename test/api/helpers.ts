import { createApiDeps, createApp, readApiConfig } from '../../functions/api/index.js';
import { HttpEngine, type Engine } from '../../layers/engine-client/index.js';
import { createLogger } from '../../layers/observability/index.js';

/** A real engine client that counts its calls, so a test can tell cache hits from engine work. */
export class CountingEngine implements Engine {
  calls = 0;
  readonly name: string;

  constructor(private readonly inner: Engine) {
    this.name = inner.name;
  }

  generate(...args: Parameters<Engine['generate']>) {
    this.calls += 1;
    return this.inner.generate(...args);
  }

  stream(...args: Parameters<Engine['stream']>) {
    this.calls += 1;
    return this.inner.stream(...args);
  }
}

/** The API app over the engine at `engineUrl`, with in-memory cache and a quiet logger. */
export function apiOver(engineUrl: string) {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const engine = new CountingEngine(new HttpEngine({ baseUrl: engineUrl }));
  const config = readApiConfig({ ENGINE_URL: engineUrl });
  const deps = createApiDeps(config, { engine, logger: createLogger('adcopy-api-test') });
  return { app: createApp(deps), engine, deps };
}

/** Posts JSON to the in-memory app. */
export function postJson(
  app: ReturnType<typeof createApp>,
  path: string,
  body: unknown,
  headers = {},
) {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The JSON body of a response, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(response: Response): Promise<any> {
  return response.json();
}
