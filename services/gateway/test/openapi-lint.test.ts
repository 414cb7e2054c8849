import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPENAPI_PATH } from '../src/moderation/admin-spec.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; message: string }[];
}

describe('docs/openapi.yaml', () => {
  it('passes Redocly CLI with 0 errors and 0 warnings (redocly.yaml: recommended-strict and more)', async () => {
    // The CLI is an npm dependency (pinned); it is run offline: no telemetry, no update check.
    const { stdout } = await run(
      `${ROOT}node_modules/.bin/redocly`,
      ['lint', 'docs/openapi.yaml', '--format=json'],
      {
        cwd: ROOT,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        timeout: 60_000,
      },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as LintReport;
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('gives every operation an operationId, a summary, a description and a defined tag', () => {
    const doc = parse(readFileSync(OPENAPI_PATH, 'utf8')) as {
      tags: { name: string; description?: string }[];
      paths: Record<
        string,
        Record<
          string,
          { operationId?: string; tags?: string[]; description?: string; summary?: string }
        >
      >;
    };
    const tags = new Set(doc.tags.map((t) => t.name));
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        expect(ids.has(op.operationId ?? ''), `${where}: operationId repeated`).toBe(false);
        ids.add(op.operationId ?? '');
        expect(op.summary, where).toBeTruthy();
        expect(op.description, where).toBeTruthy();
        expect(op.tags?.length, where).toBeGreaterThan(0);
        for (const t of op.tags ?? []) expect(tags.has(t), `${where}: tag ${t}`).toBe(true);
      }
    }
    expect(doc.tags.every((t) => t.description)).toBe(true);
  });

  it('ships with the gateway: read from the same place in src/ and dist/, copied into the image', () => {
    // The module sits four levels below the root in src/ and in dist/ alike.
    expect(OPENAPI_PATH).toBe(`${ROOT}docs/openapi.yaml`);
    const dockerfile = readFileSync(`${ROOT}infra/Dockerfile`, 'utf8');
    expect(dockerfile).toMatch(/cp\s+(-a\s+)?docs\/openapi\.yaml\s+\/out\/docs\//);
  });
});
