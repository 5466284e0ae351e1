import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { describedOperations, describeRoute, openApiDocument, openApiPath, type ApiOperation } from '../openapi.js';

// GET /api/openapi.json and GET /api/docs: the API description, public, no CDN (the page is
// plain HTML and works offline). Mounted at /api.

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

function operationHtml(op: ApiOperation, doc: Record<string, unknown>): string {
  const paths = doc.paths as Record<string, Record<string, { parameters?: unknown[]; requestBody?: { content: { 'application/json': { schema: unknown } } } }>>;
  const o = paths[openApiPath(op.path)]?.[op.method];
  const params = (o?.parameters ?? []) as { name: string; in: string; required: boolean }[];
  const body = o?.requestBody?.content['application/json'].schema;
  return `<section class="op">
  <h3><span class="m ${op.method}">${op.method.toUpperCase()}</span> <code>${escape(op.path)}</code></h3>
  <p>${escape(op.summary)}${op.permission ? ` <span class="perm">needs ${escape(op.permission)}</span>` : ' <span class="perm">public</span>'}</p>
  ${op.description ? `<p class="d">${escape(op.description)}</p>` : ''}
  ${params.length ? `<p class="d">Parameters: ${params.map((p) => `<code>${escape(p.name)}</code> (${p.in}${p.required ? ', required' : ''})`).join(', ')}</p>` : ''}
  ${body ? `<details><summary>Request body</summary><pre>${escape(JSON.stringify(body, null, 2))}</pre></details>` : ''}
  <p class="d">Answer: ${escape(op.response)}</p>
</section>`;
}

function page(): string {
  const doc = openApiDocument();
  const ops = describedOperations();
  const tags = [...new Set(ops.map((o) => o.tag))];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Readout API</title>
<style>
 body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
 h2{margin-top:2rem;border-bottom:1px solid #ccd}
 .op{border:1px solid #dde;border-radius:6px;padding:.4rem .9rem;margin:.6rem 0}
 .op h3{font-size:1rem;margin:.3rem 0}
 .m{display:inline-block;min-width:4.2rem;font:600 .8rem monospace;padding:.1rem .3rem;border-radius:4px;color:#fff;text-align:center}
 .get{background:#2b6cb0}.post{background:#2f855a}.put{background:#b7791f}.patch{background:#6b46c1}.delete{background:#c53030}
 .perm{font-size:.8rem;background:#eef;border-radius:4px;padding:0 .3rem;margin-left:.3rem}
 .d{color:#444;margin:.3rem 0} pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:.8rem}
</style></head><body>
<h1>Readout API</h1>
<p>${escape(String((doc.info as { description: string }).description))}</p>
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
${tags.map((t) => `<h2>${escape(t)}</h2>\n${ops.filter((o) => o.tag === t).map((o) => operationHtml(o, doc)).join('\n')}`).join('\n')}
</body></html>`;
}

export const docs = new Hono<AppEnv>()
  .get('/openapi.json', (c) => c.json(openApiDocument()))
  .get('/docs', (c) => c.html(page()));

describeRoute(
  { method: 'get', path: '/api/openapi.json', tag: 'API', summary: 'This description, as OpenAPI 3.1', permission: null, response: 'the OpenAPI document' },
  { method: 'get', path: '/api/docs', tag: 'API', summary: 'This description, as a web page', permission: null, response: 'HTML' }
);
