// Runs packages/aggregation's throughput bench (its built dist) in a process of its own and sends
// the result to the orchestrator.
import { measureThroughput } from '../../../packages/aggregation/dist/bench/throughput.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const result = await measureThroughput(options);
process.send(result, () => process.exit(0));
