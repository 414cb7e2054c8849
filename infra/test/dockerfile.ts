import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA } from './manifests.js';

export interface DockerStage {
  /** The base image, e.g. `node:22.23.5-bookworm-slim`. */
  from: string;
  name: string | undefined;
  workdir: string | undefined;
  /** Each `RUN` command, continuation lines joined. */
  runs: string[];
}

/** The stages of `infra/Dockerfile`, in order; enough of the syntax for the file we write. */
export function dockerStages(file = join(INFRA, 'Dockerfile')): DockerStage[] {
  const lines = readFileSync(file, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    const stage = stages.at(-1);
    switch (instruction.toUpperCase()) {
      case 'FROM': {
        const [from = '', as, name] = rest;
        stages.push({
          from,
          name: as?.toUpperCase() === 'AS' ? name : undefined,
          workdir: undefined,
          runs: [],
        });
        break;
      }
      case 'WORKDIR':
        if (stage) stage.workdir = args;
        break;
      case 'RUN':
        stage?.runs.push(args.replace(/\s+/g, ' '));
        break;
    }
  }
  return stages;
}

/** The Node version of a `node:X.Y.Z-...` image, or undefined when the tag does not pin one. */
export function nodeVersionOf(image: string): string | undefined {
  return /^node:(\d+\.\d+\.\d+)(?:-|$)/.exec(image)?.[1];
}
