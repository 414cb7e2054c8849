#!/usr/bin/env node
import { ConfigError } from '@roar/runtime';
import { parseArgs } from 'node:util';
import { loadGatewayConfig, type GatewayConfig } from '../base/config.js';
import { CliError, generateSecret, generateToken, printableConfig } from './commands.js';

const USAGE = `Usage: roar <command> [options]

Commands:
  check-config               Validate the ROAR_* environment with the gateway's own loader and
                             print the effective configuration as JSON, secrets masked.
  gen-token [options]        Print an HS256 test token signed with ROAR_JWT_SECRET (with
                             ROAR_JWT_ISSUER / ROAR_JWT_AUDIENCE as iss / aud when set).
      --user <id>            sub claim (default: test-user)
      --name <name>          display name
      --roles <a,b>          roles, e.g. moderator:stream-1,admin (default: none)
      --ttl <seconds>        lifetime (default: 3600)
  gen-secret [--bytes <n>]   Print a random secret (48 bytes, base64url) for ROAR_JWT_SECRET
                             or an admin API key.
  help                       This text.

Exit status: 0 on success, 2 on a bad configuration or bad arguments.`;

function config(): GatewayConfig {
  return loadGatewayConfig(process.env);
}

function wholeNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} must be a whole number, got "${value}"`);
  return Number(value);
}

async function run(argv: string[]): Promise<string> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check-config': {
      parseArgs({ args: rest, options: {}, strict: true });
      return JSON.stringify(printableConfig(config()), null, 2);
    }
    case 'gen-token': {
      const { values } = parseArgs({
        args: rest,
        strict: true,
        options: {
          user: { type: 'string', default: 'test-user' },
          name: { type: 'string' },
          roles: { type: 'string', default: '' },
          ttl: { type: 'string' },
        },
      });
      return generateToken(config(), {
        user: values.user,
        ...(values.name !== undefined ? { name: values.name } : {}),
        roles: values.roles
          .split(',')
          .map((r) => r.trim())
          .filter((r) => r !== ''),
        ttlS: wholeNumber('--ttl', values.ttl, 3600),
      });
    }
    case 'gen-secret': {
      const { values } = parseArgs({
        args: rest,
        strict: true,
        options: { bytes: { type: 'string' } },
      });
      return generateSecret(wholeNumber('--bytes', values.bytes, 48));
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return USAGE;
    default:
      throw new CliError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

run(process.argv.slice(2)).then(
  (output) => {
    process.stdout.write(`${output}\n`);
  },
  (error: unknown) => {
    const code = (error as { code?: unknown }).code;
    const mistake =
      error instanceof ConfigError ||
      error instanceof CliError ||
      (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
    if (mistake) {
      process.stderr.write(`roar: ${(error as Error).message}\n`);
      process.exitCode = 2;
    } else {
      console.error('roar: failed', error);
      process.exitCode = 1;
    }
  },
);
