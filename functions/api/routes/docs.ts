/**
 * `GET /openapi.json` (OpenAPI 3.1, generated from the same zod schemas that validate requests)
 * and `GET /docs`, a self-contained reference page that needs no script from elsewhere.
 * @module
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { html, raw } from 'hono/html';

import type { ApiEnv } from '../app.js';
import { PROBLEM_TYPES } from '../problems.js';

const DOCUMENT_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'adcopy API',
    version: '1.0.0',
    description:
      'Ad-copy generation: briefs in, lawful copy variants out. Errors are ' +
      'application/problem+json (RFC 9457) with field paths.',
  },
} as const;

type OpenApiDocument = ReturnType<OpenAPIHono<ApiEnv>['getOpenAPI31Document']>;

/** Registers `/openapi.json` and `/docs` on `app` (after every other route is registered). */
export function docsRoutes(app: OpenAPIHono<ApiEnv>): void {
  app.doc31('/openapi.json', DOCUMENT_INFO);
  app.get('/docs', (c) => c.html(renderReference(app.getOpenAPI31Document(DOCUMENT_INFO))));
}

function renderReference(document: OpenApiDocument): ReturnType<typeof html> {
  const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item ?? {}).map(([method, operation]) => ({ path, method, operation })),
  );

  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${document.info.title}</title>
        <style>
          body {
            font:
              15px/1.5 system-ui,
              sans-serif;
            max-width: 60rem;
            margin: 2rem auto;
            padding: 0 1rem;
          }
          code,
          pre {
            background: #f4f4f4;
            padding: 0 0.2rem;
          }
          pre {
            padding: 0.6rem;
            overflow: auto;
          }
          td,
          th {
            border-bottom: 1px solid #ddd;
            padding: 0.3rem 0.6rem;
            text-align: left;
            vertical-align: top;
          }
        </style>
      </head>
      <body>
        <h1>${document.info.title} ${document.info.version}</h1>
        <p>${document.info.description ?? ''}</p>
        <p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
        ${raw(operations.map((op) => renderOperation(op.path, op.method, op.operation)).join(''))}
        <h2>Schemas</h2>
        ${raw(
          Object.entries(document.components?.schemas ?? {})
            .map(
              ([name, schema]) =>
                `<h3 id="schema-${name}">${name}</h3><pre>${escape(JSON.stringify(schema, null, 2))}</pre>`,
            )
            .join(''),
        )}
        <h2>Problem types</h2>
        <table>
          <tr>
            <th>type</th>
            <th>status</th>
            <th>meaning</th>
          </tr>
          ${raw(
            Object.entries(PROBLEM_TYPES)
              .map(
                ([type, problem]) =>
                  `<tr id="problem-${type}"><td><code>${type}</code></td><td>${problem.status}</td>` +
                  `<td>${escape(problem.title)}</td></tr>`,
              )
              .join(''),
          )}
        </table>
      </body>
    </html>`;
}

function renderOperation(path: string, method: string, operation: unknown): string {
  const op = operation as {
    summary?: string;
    description?: string;
    responses?: Record<string, { description?: string }>;
  };
  const responses = Object.entries(op.responses ?? {})
    .map(
      ([status, response]) =>
        `<tr><td>${status}</td><td>${escape(response.description ?? '')}</td></tr>`,
    )
    .join('');
  return (
    `<h2><code>${method.toUpperCase()} ${escape(path)}</code></h2>` +
    `<p>${escape(op.summary ?? '')}</p><p>${escape(op.description ?? '')}</p>` +
    `<table><tr><th>status</th><th>meaning</th></tr>${responses}</table>`
  );
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
