// A V8 heap snapshot over the inspector protocol, summarised by constructor: what the live
// objects of a process are, so two snapshots (before and after opening connections) show what
// each connection costs on the JS heap.
import WebSocket from 'ws';

export function takeSummary(url, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
    const chunks = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('inspector: heap snapshot timed out'));
    }, timeoutMs);
    ws.on('open', () => {
      ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
      ws.send(
        JSON.stringify({
          id: 2,
          method: 'HeapProfiler.takeHeapSnapshot',
          params: { reportProgress: false },
        }),
      );
    });
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(m.params.chunk);
      else if (m.id === 2) {
        clearTimeout(timer);
        ws.close();
        try {
          resolve(summarize(JSON.parse(chunks.join(''))));
        } catch (error) {
          reject(error);
        }
      }
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Self size and count per (node type, constructor name). */
function summarize(snapshot) {
  const meta = snapshot.snapshot.meta;
  const fields = meta.node_fields;
  const width = fields.length;
  const typeNames = meta.node_types[0];
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const { nodes, strings } = snapshot;
  const out = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const type = typeNames[nodes[i + iType]];
    const name =
      type === 'object' || type === 'closure' || type === 'native'
        ? strings[nodes[i + iName]]
        : `(${type})`;
    const key = `${name}`;
    const size = nodes[i + iSize];
    total += size;
    const e = out.get(key) ?? { count: 0, size: 0 };
    e.count++;
    e.size += size;
    out.set(key, e);
  }
  return { total, byName: Object.fromEntries(out) };
}

/** What grew between two summaries, per `per` (connections), largest first. */
export function growth(before, after, per, top = 12) {
  const rows = [];
  for (const [name, a] of Object.entries(after.byName)) {
    const b = before.byName[name] ?? { count: 0, size: 0 };
    const size = a.size - b.size;
    if (size > 0) rows.push({ name, bytesPer: size / per, countPer: (a.count - b.count) / per });
  }
  rows.sort((x, y) => y.bytesPer - x.bytesPer);
  const code = rows.find((r) => r.name === '(code)')?.bytesPer ?? 0;
  // JIT code grows with whatever ran, not with the number of connections.
  return { totalPer: (after.total - before.total) / per, codePer: code, top: rows.slice(0, top) };
}
