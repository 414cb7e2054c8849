import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const DOC = fileURLToPath(new URL('../../../docs/openapi.yaml', import.meta.url));

interface Operation {
  requestBody?: { content?: Record<string, { schema?: object }> };
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}
type Paths = Record<string, Record<string, Operation>>;

/**
 * The admin API's OpenAPI document, compiled for checking: every request a test sends and every
 * response it gets is validated against it, so the document and the server cannot drift apart.
 */
export class OpenApi {
  readonly #paths: Paths;
  readonly #ajv = new Ajv2020({ strict: false, allErrors: true });
  readonly #cache = new Map<string, ValidateFunction>();

  private constructor(paths: Paths) {
    this.#paths = paths;
  }

  /** Loads, validates (as an OpenAPI document) and dereferences docs/openapi.yaml. */
  static async load(): Promise<OpenApi> {
    const raw = parse(readFileSync(DOC, 'utf8')) as object;
    await SwaggerParser.validate(structuredClone(raw) as never);
    const doc = (await SwaggerParser.dereference(raw as never)) as unknown as { paths: Paths };
    return new OpenApi(doc.paths);
  }

  /** The document's path template matching a concrete path (`/admin/v1/streams/x/bans`). */
  template(path: string): string {
    const clean = path.split('?')[0] ?? path;
    for (const template of Object.keys(this.#paths)) {
      const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      if (re.test(clean)) return template;
    }
    throw new Error(`no path in docs/openapi.yaml matches ${clean}`);
  }

  #operation(method: string, path: string): Operation {
    const template = this.template(path);
    const op = this.#paths[template]?.[method.toLowerCase()];
    if (!op) throw new Error(`docs/openapi.yaml has no ${method} ${template}`);
    return op;
  }

  #check(key: string, schema: object | undefined, value: unknown, what: string): void {
    if (!schema) throw new Error(`docs/openapi.yaml has no schema for ${what}`);
    let validate = this.#cache.get(key);
    if (!validate) this.#cache.set(key, (validate = this.#ajv.compile(schema)));
    if (!validate(value)) {
      throw new Error(
        `${what} does not match docs/openapi.yaml: ${this.#ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`,
      );
    }
  }

  checkRequest(method: string, path: string, body: unknown): void {
    const schema = this.#operation(method, path).requestBody?.content?.['application/json']?.schema;
    this.#check(
      `req ${method} ${this.template(path)}`,
      schema,
      body,
      `the ${method} ${path} request body`,
    );
  }

  checkResponse(method: string, path: string, status: number, body: unknown): void {
    const responses = this.#operation(method, path).responses ?? {};
    const response = responses[String(status)];
    if (!response)
      throw new Error(
        `docs/openapi.yaml does not list status ${status} for ${method} ${this.template(path)}`,
      );
    if (status === 304) return;
    const schema = response.content?.['application/json']?.schema;
    this.#check(
      `res ${method} ${this.template(path)} ${status}`,
      schema,
      body,
      `the ${status} response of ${method} ${path}`,
    );
  }
}
