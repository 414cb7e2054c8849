// Generates src/admin-api.ts, the types and the operation table of the typed admin client
// (`@roar/client/admin`), from docs/openapi.yaml: the document is the only place the admin API is
// written down. Run after changing the document:
//   node packages/client/scripts/gen-admin-api.mjs          writes the file
//   node packages/client/scripts/gen-admin-api.mjs --check  exits 1 if the file is out of date
// (the --check form runs in CI from src/admin.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';

const SPEC = fileURLToPath(new URL('../../../docs/openapi.yaml', import.meta.url));
const OUT = fileURLToPath(new URL('../src/admin-api.ts', import.meta.url));
const PREFIX = '/admin/v1/';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

const doc = parse(readFileSync(SPEC, 'utf8'));

function pointer(ref) {
  let node = doc;
  for (const raw of ref.slice(2).split('/'))
    node = node[raw.replaceAll('~1', '/').replaceAll('~0', '~')];
  if (node === undefined) throw new Error(`${ref} does not exist`);
  return node;
}

const resolve = (x) => (x && typeof x.$ref === 'string' ? pointer(x.$ref) : x);
// `Error` would shadow the global class in the generated module.
const RENAME = { Error: 'AdminErrorBody' };
const typeName = (name) => RENAME[name] ?? name;
const refName = (ref) => typeName(ref.split('/').pop());
const key = (k) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k));
const doc1 = (text) =>
  text ? `/** ${String(text).trim().replace(/\s+/g, ' ').replaceAll('*/', '* /')} */\n` : '';

/** A JSON Schema (the subset the document uses) as a TypeScript type. */
function ts(schema) {
  if (schema === undefined || schema === true) return 'unknown';
  if (schema.$ref) {
    if (!schema.$ref.startsWith('#/components/schemas/')) return ts(pointer(schema.$ref));
    return refName(schema.$ref);
  }
  if ('const' in schema) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.allOf) return schema.allOf.map((s) => `(${ts(s)})`).join(' & ');
  if (schema.oneOf || schema.anyOf) return (schema.oneOf ?? schema.anyOf).map(ts).join(' | ');
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types
    .map((type) => {
      switch (type) {
        case 'string':
          return 'string';
        case 'integer':
        case 'number':
          return 'number';
        case 'boolean':
          return 'boolean';
        case 'null':
          return 'null';
        case 'array':
          return `Array<${ts(schema.items)}>`;
        case 'object':
        case undefined: {
          const props = schema.properties ?? {};
          const required = new Set(schema.required ?? []);
          const fields = Object.entries(props).map(
            ([k, v]) =>
              `${doc1(resolve(v).description)}${key(k)}${required.has(k) ? '' : '?'}: ${ts(v)};`,
          );
          if (schema.additionalProperties !== false) fields.push('[key: string]: unknown;');
          return `{ ${fields.join('\n')} }`;
        }
        default:
          throw new Error(`no TypeScript for type ${type}`);
      }
    })
    .join(' | ');
}

function successResponse(op) {
  for (const [status, raw] of Object.entries(op.responses ?? {})) {
    if (!status.startsWith('2')) continue;
    const schema = resolve(raw).content?.['application/json']?.schema;
    return { status: Number(status), type: schema ? ts(schema) : 'undefined' };
  }
  throw new Error(`${op.operationId} has no 2xx response`);
}

const out = [];
out.push(
  `// Generated from docs/openapi.yaml by packages/client/scripts/gen-admin-api.mjs: do not edit.`,
);
out.push(`// src/admin.test.ts fails when this file and the document disagree.\n`);
for (const [name, schema] of Object.entries(doc.components.schemas)) {
  out.push(`${doc1(schema.description)}export type ${typeName(name)} = ${ts(schema)};\n`);
}

const table = [];
const ops = [];
for (const [path, item] of Object.entries(doc.paths)) {
  if (!path.startsWith(PREFIX)) continue;
  for (const method of METHODS) {
    const op = item[method];
    if (!op) continue;
    const params = (op.parameters ?? []).map(resolve);
    const path_ = params.filter((p) => p.in === 'path');
    const query = params.filter((p) => p.in === 'query');
    const idempotent = params.some((p) => p.in === 'header' && p.name === 'Idempotency-Key');
    const bodySchema = op.requestBody?.content?.['application/json']?.schema;
    const bodyRequired = op.requestBody?.required === true;
    const fields = [
      ...path_.map((p) => `${key(p.name)}: ${ts(p.schema)};`),
      ...(query.length
        ? [
            `query?: { ${query.map((p) => `${doc1(p.description)}${key(p.name)}?: ${ts(p.schema)};`).join('\n')} };`,
          ]
        : []),
      ...(bodySchema ? [`body${bodyRequired ? '' : '?'}: ${ts(bodySchema)};`] : []),
      ...(idempotent
        ? [
            '/** Sent as `Idempotency-Key`: a retry of a request that succeeded is refused with 409. */\nidempotencyKey?: string;',
          ]
        : []),
    ];
    const ok = successResponse(op);
    ops.push(
      `${doc1(`${op.summary}. ${op.description ?? ''}`)}${op.operationId}: { input: ${fields.length ? `{ ${fields.join('\n')} }` : 'Record<string, never>'}; output: ${ok.type}; };`,
    );
    table.push(
      `${op.operationId}: { method: '${method.toUpperCase()}', path: '${path}', status: ${ok.status}, body: '${bodySchema ? (bodyRequired ? 'required' : 'optional') : 'none'}', query: [${query.map((p) => `'${p.name}'`).join(', ')}] },`,
    );
  }
}
out.push(
  `/** Every admin operation by its operationId: what it takes and what it answers on success. */`,
);
out.push(`export interface AdminOperations { ${ops.join('\n')} }\n`);
out.push(
  `/** How each operation is called: method, path template, success status, body and query. */`,
);
out.push(`export const ADMIN_OPERATIONS = { ${table.join('\n')} } as const;\n`);
out.push(`export type AdminOperationId = keyof AdminOperations;`);

const options = { ...(await resolveConfig(OUT)), parser: 'typescript' };
const text = await format(out.join('\n'), options);
if (process.argv.includes('--check')) {
  let current;
  try {
    current = readFileSync(OUT, 'utf8');
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  if (current !== text) {
    console.error(
      'packages/client/src/admin-api.ts is out of date: run node packages/client/scripts/gen-admin-api.mjs',
    );
    process.exit(1);
  }
} else {
  writeFileSync(OUT, text);
}
