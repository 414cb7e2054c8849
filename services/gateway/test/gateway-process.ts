import { ManagedProcess } from '@roar/testkit';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET } from './harness.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** An embedded gateway as its own process (the built dist), so its CPU can be read apart. */
export interface GatewayProcess extends AsyncDisposable {
  pid: number;
  wsUrl: string;
  httpUrl: string;
}

export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  const proc = new ManagedProcess(process.execPath, [MAIN], {
    ...process.env,
    ROAR_MODE: 'embedded',
    ROAR_HOST: '127.0.0.1',
    ROAR_PORT: '0',
    ROAR_JWT_SECRET: TEST_SECRET,
    // Tests share a busy machine: keep the ladder from reacting to the test run itself.
    ROAR_LADDER_CPU: '64',
    ROAR_LADDER_LOOP_DELAY_MS: '5000',
    ROAR_LADDER_FANOUT_MS: '5000',
    ...env,
  });
  const [, port] = await proc.waitForOutput(/"msg":"gateway listening".*"port":(\d+)/, 15_000);
  return {
    pid: proc.child.pid as number,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      await proc.stop('SIGKILL');
    },
  };
}
