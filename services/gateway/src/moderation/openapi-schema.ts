// JSON pointers into the OpenAPI document, and the largest body a schema of it allows: the
// admin API's body limits come from the document, not from a second list.

export function escape(s: string): string {
  return s.replaceAll('~', '~0').replaceAll('/', '~1');
}

export function bodyPointer(template: string, method: string): string {
  return `/paths/${escape(template)}/${method}/requestBody/content/${escape('application/json')}/schema`;
}

export function pointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    node = (node as Record<string, unknown> | undefined)?.[key];
    if (node === undefined) throw new Error(`docs/openapi.yaml: ${ref} does not exist`);
  }
  return node;
}

/** Bytes per character at worst: a `\uXXXX\uXXXX` surrogate pair. */
const CHAR_BYTES = 12;

/**
 * The largest compact JSON text a schema allows. Every string needs a `maxLength` (or an
 * `enum`/`const`) and every array a `maxItems`: a body limit is only honest if the document
 * bounds what it accepts.
 */
export function maxJsonBytes(schema: unknown, doc: unknown, where: string): number {
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') return maxJsonBytes(pointer(doc, s.$ref), doc, where);
  // Free JSON bounded by its handler (a live-state value): its compact UTF-8 bytes, each of
  // which a client may send as a 6-byte `\u` escape.
  if (typeof s['x-max-bytes'] === 'number') return s['x-max-bytes'] * 6;
  if ('const' in s) return JSON.stringify(s.const).length * 2;
  if (Array.isArray(s.enum)) return Math.max(...s.enum.map((v) => JSON.stringify(v).length * 2));
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = s[key];
    if (Array.isArray(list)) return Math.max(...list.map((x) => maxJsonBytes(x, doc, where)));
  }
  const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
  let max = 0;
  for (const type of types) {
    switch (type) {
      case 'null':
      case 'boolean':
        max = Math.max(max, 5);
        break;
      case 'integer':
      case 'number':
        max = Math.max(max, 24);
        break;
      case 'string': {
        if (typeof s.maxLength !== 'number')
          throw new Error(`${where}: a string without maxLength`);
        max = Math.max(max, 2 + s.maxLength * CHAR_BYTES);
        break;
      }
      case 'array': {
        if (typeof s.maxItems !== 'number') throw new Error(`${where}: an array without maxItems`);
        max = Math.max(max, 2 + s.maxItems * (maxJsonBytes(s.items ?? {}, doc, where) + 1));
        break;
      }
      case 'object': {
        const props = (s.properties ?? {}) as Record<string, unknown>;
        if (s.additionalProperties !== false)
          throw new Error(`${where}: an object that allows unknown fields has no size`);
        let sum = 2;
        for (const [k, v] of Object.entries(props)) {
          sum += k.length * CHAR_BYTES + 4 + maxJsonBytes(v, doc, where);
        }
        max = Math.max(max, sum);
        break;
      }
      default:
        throw new Error(`${where}: a schema without a type has no size`);
    }
  }
  return max;
}
