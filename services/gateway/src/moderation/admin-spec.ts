import { ErrorCode } from '@roar/protocol';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { bodyPointer, escape, maxJsonBytes, pointer } from './openapi-schema.js';

/**
 * Where the admin API's OpenAPI document is read from: `docs/openapi.yaml` at the repository
 * root, the same four levels above this module in `src/` and in `dist/`. The container image
 * copies it to the same place (`infra/Dockerfile`), so the gateway never runs without it.
 */
export const OPENAPI_PATH = fileURLToPath(
  new URL('../../../../docs/openapi.yaml', import.meta.url),
);

/** The parts of an HTTP request an operation's document describes. */
export interface RequestParts {
  params: Record<string, string>;
  query: URLSearchParams;
  header(name: string): string | undefined;
  body: Uint8Array | undefined;
}

/** A request that matched its operation: parameters coerced to their schema types, defaults set. */
export interface CheckedRequest {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  /** The parsed JSON body (`{}` for an absent optional one); undefined when the operation has none. */
  body: Record<string, unknown> | undefined;
}

export type CheckResult =
  | { ok: true; request: CheckedRequest }
  | { ok: false; status: 400 | 415; code: string; message: string };

/** One operation of the document, compiled. */
export interface SpecOperation {
  readonly operationId: string;
  /** Lower-case HTTP method as the document writes it (`get`, `delete`, ...). */
  readonly method: string;
  /** The document's path template (`/admin/v1/streams/{stream}/pin`). */
  readonly template: string;
  /**
   * The largest body a valid request can have, computed from the body's schema: every string at
   * its `maxLength` with each character `\u`-escaped as a surrogate pair (12 bytes), every array
   * at `maxItems`, every property present; plus a quarter and 1 KiB for whitespace. 0 when the
   * operation takes no body.
   */
  readonly maxBodyBytes: number;
  /** Checks a request against the document: content type, path, query, header and body. */
  check(req: RequestParts): CheckResult;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: object;
}
interface Operation {
  operationId?: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: object }> };
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const SPEC_ID = 'roar-openapi';
const JSON_MEDIA = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
const decoder = new TextDecoder('utf-8', { fatal: true });
/** Compiled documents by path (see `AdminSpec.load`). */
const LOADED = new Map<string, AdminSpec>();

/**
 * The admin API's OpenAPI document compiled into validators, once, at start: the document is the
 * only place the API's rules are written. Every request is checked against its operation before
 * any handler runs; what the document does not allow is refused with 400 (415 for a body that
 * is not `application/json`).
 */
export class AdminSpec {
  readonly #doc: Document;
  readonly #operations = new Map<string, SpecOperation>();
  readonly #validators = new Map<Ajv2020, Map<string, ValidateFunction>>();

  private constructor(doc: Document) {
    this.#doc = doc;
    // Bodies are validated as written; parameters arrive as text and are coerced to their types.
    const bodies = new Ajv2020({ strict: false, allErrors: false });
    const params = new Ajv2020({ strict: false, coerceTypes: true });
    for (const ajv of [bodies, params]) {
      (formats as unknown as (a: Ajv2020) => void)(ajv);
      // Not checked against the meta-schema here (a third of the start time): Redocly checks
      // the document in CI (test/openapi-lint.test.ts), and a schema ajv cannot compile still
      // fails the start.
      ajv.addSchema(doc as object, SPEC_ID, undefined, false);
    }
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const compiled = this.#compile(template, method, op, bodies, params);
        this.#operations.set(`${method} ${template}`, compiled);
      }
    }
  }

  /** Reads, parses and compiles the document; throws (at start) if it is missing or invalid. */
  static compile(path: string = OPENAPI_PATH): AdminSpec {
    return new AdminSpec(load(readFileSync(path, 'utf8')) as Document);
  }

  /** `compile`, once per path and process: a gateway's routers (and a test's gateways) share it. */
  static load(path: string = OPENAPI_PATH): AdminSpec {
    let spec = LOADED.get(path);
    if (!spec) LOADED.set(path, (spec = AdminSpec.compile(path)));
    return spec;
  }

  /** The operation for a method and a route pattern (`/admin/v1/streams/:stream/pin`). */
  operation(method: string, pattern: string): SpecOperation {
    const template = pattern.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const op = this.#operations.get(`${method === 'del' ? 'delete' : method} ${template}`);
    if (!op) throw new Error(`docs/openapi.yaml has no ${method.toUpperCase()} ${template}`);
    return op;
  }

  /** Every operation whose path starts with `prefix`. */
  operations(prefix = ''): SpecOperation[] {
    return [...this.#operations.values()].filter((o) => o.template.startsWith(prefix));
  }

  /**
   * Compiles a schema, or reuses the validator of an identical one: most operations share their
   * path and header parameters, and compiling is what makes start slow (about 10 ms a schema).
   */
  #compileOnce(ajv: Ajv2020, schema: object): ValidateFunction {
    let cache = this.#validators.get(ajv);
    if (!cache) this.#validators.set(ajv, (cache = new Map()));
    const key = JSON.stringify(schema);
    let validate = cache.get(key);
    if (!validate) cache.set(key, (validate = ajv.compile(schema)));
    return validate;
  }

  #resolve<T>(value: T | { $ref: string }): T {
    if (typeof value === 'object' && value !== null && '$ref' in value) {
      return pointer(this.#doc, value.$ref) as T;
    }
    return value;
  }

  #compile(
    template: string,
    method: string,
    op: Operation,
    bodies: Ajv2020,
    params: Ajv2020,
  ): SpecOperation {
    const where = `${method.toUpperCase()} ${template}`;
    // Each parameter's schema is referred to where it stands in the document, so the `$ref`s
    // inside it resolve against the document.
    const parameters = (op.parameters ?? []).map((raw, i) => {
      const at =
        '$ref' in raw ? raw.$ref.slice(1) : `/paths/${escape(template)}/${method}/parameters/${i}`;
      return { ...this.#resolve(raw), schemaRef: `${SPEC_ID}#${at}/schema` };
    });
    const group = (place: Parameter['in']) => {
      const list = parameters.filter((p) => p.in === place);
      return {
        list,
        defaults: list.filter((p) => p.schema && 'default' in p.schema),
        validate: this.#compileOnce(params, {
          type: 'object',
          properties: Object.fromEntries(
            list.map((p) => [p.name, p.schema ? { $ref: p.schemaRef } : {}]),
          ),
          required: list.filter((p) => p.required || place === 'path').map((p) => p.name),
          // Unknown query parameters are refused like unknown body fields; headers are open.
          additionalProperties: place === 'header',
        }),
      };
    };
    const path = group('path');
    const query = group('query');
    const headers = group('header');
    const content = op.requestBody?.content;
    const bodySchema = content?.['application/json']?.schema;
    if (content && !bodySchema)
      throw new Error(`${where}: only application/json bodies are served`);
    const body = bodySchema
      ? this.#compileOnce(bodies, { $ref: `${SPEC_ID}#${bodyPointer(template, method)}` })
      : undefined;
    const bodyRequired = op.requestBody?.required === true;
    const maxBodyBytes = bodySchema
      ? Math.ceil(maxJsonBytes(bodySchema, this.#doc, where) * 1.25) + 1024
      : 0;
    const operationId = op.operationId ?? `${method} ${template}`;

    return {
      operationId,
      method,
      template,
      maxBodyBytes,
      check(req) {
        // Prototype-less: a query parameter named __proto__ is just an unknown parameter.
        const p: Record<string, unknown> = Object.assign(Object.create(null), req.params);
        if (!path.validate(p)) return refuse(path.validate, 'path', path.list);
        const q: Record<string, unknown> = Object.create(null);
        for (const [k, v] of req.query) {
          // A repeated parameter is a list, which no parameter here is: the schema refuses it.
          q[k] = k in q ? [q[k], v] : v;
        }
        for (const d of query.defaults) {
          if (!(d.name in q)) q[d.name] = (d.schema as { default: unknown }).default;
        }
        if (!query.validate(q)) return refuse(query.validate, 'query', query.list);
        const h: Record<string, unknown> = Object.create(null);
        for (const { name } of headers.list) {
          const value = req.header(name.toLowerCase());
          if (value !== undefined) h[name] = value;
        }
        if (!headers.validate(h)) return refuse(headers.validate, 'header', headers.list);

        const raw = req.body;
        const present = raw !== undefined && raw.length > 0;
        if (!body) {
          if (present) return bad(ErrorCode.InvalidField, `${where} takes no request body`, 400);
          return { ok: true, request: { params: p, query: q, body: undefined } };
        }
        if (!present) {
          if (bodyRequired) return bad(ErrorCode.BadFrame, 'a JSON request body is required', 400);
          return { ok: true, request: { params: p, query: q, body: {} } };
        }
        const type = req.header('content-type');
        if (type === undefined || !JSON_MEDIA.test(type.trim())) {
          return bad(
            'unsupported_media_type',
            'the body must be sent as Content-Type: application/json',
            415,
          );
        }
        let value: unknown;
        try {
          value = JSON.parse(decoder.decode(raw));
        } catch {
          return bad(ErrorCode.BadFrame, 'the body is not valid JSON', 400);
        }
        if (!body(value)) return refuse(body, 'body', []);
        return {
          ok: true,
          request: { params: p, query: q, body: value as Record<string, unknown> },
        };
      },
    };
  }
}

function bad(code: string, message: string, status: 400 | 415): CheckResult {
  return { ok: false, status, code, message };
}

/** The first error of a validator, said in the API's words. */
function refuse(
  validate: ValidateFunction,
  place: 'path' | 'query' | 'header' | 'body',
  list: Parameter[],
): CheckResult {
  const error = validate.errors?.[0];
  const field = error ? fieldOf(error) : '';
  if (place === 'path' && field === 'stream') {
    return bad(ErrorCode.InvalidStream, 'stream must be 1-64 characters of A-Z a-z 0-9 _ -', 400);
  }
  // A body that is not even an object is a framing error, as over the WebSocket.
  if (place === 'body' && error && error.instancePath === '' && error.keyword === 'type') {
    return bad(ErrorCode.BadFrame, 'the body must be a JSON object', 400);
  }
  if (error?.keyword === 'additionalProperties') {
    const extra = String((error.params as { additionalProperty?: string }).additionalProperty);
    const what = place === 'body' ? 'field' : `${place} parameter`;
    return bad(ErrorCode.InvalidField, `unknown ${what} "${extra}"`, 400);
  }
  const name = place === 'body' ? field || 'body' : field || list[0]?.name || place;
  const label = place === 'body' ? name : `${place} parameter ${name}`;
  return bad(ErrorCode.InvalidField, `${label} ${error?.message ?? 'is not valid'}`, 400);
}

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty?: string }).missingProperty ?? '';
    return path ? `${path}.${missing}` : missing;
  }
  return path;
}
