// A full garbage collection in a server process, asked for over the inspector protocol
// (`node --inspect=127.0.0.1:0`), so that RSS readings before and after opening connections
// compare live memory rather than whatever garbage the last GC left behind.
import WebSocket from 'ws';

export const INSPECT_ARGS = ['--inspect=127.0.0.1:0'];

/** The inspector URL a process printed at start, or undefined. */
export function inspectorUrl(output) {
  return /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
}

export function collectGarbage(url, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('inspector: collectGarbage timed out'));
    }, timeoutMs);
    let id = 0;
    const call = () => ws.send(JSON.stringify({ id: ++id, method: 'HeapProfiler.collectGarbage' }));
    ws.on('open', call);
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.id !== id) return;
      // Twice: objects kept alive by weak references and finalizers go in the second pass.
      if (id < 2) return call();
      clearTimeout(timer);
      ws.close();
      resolve();
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
