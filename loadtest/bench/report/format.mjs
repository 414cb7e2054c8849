// Shared by the report's sections: server names, number formatting, Markdown tables.
export const NAMES = {
  roar: 'Roar gateway',
  socketio: 'Socket.IO',
  uws: 'bare uWS publish',
  'uws-sampled': "bare uWS, Roar's budget and ticks",
};
export const fmt = (x, digits = 0) =>
  x === undefined || x === null || Number.isNaN(x)
    ? '–'
    : Number(x).toLocaleString('en-US', {
        maximumFractionDigits: digits,
        minimumFractionDigits: digits,
      });
export const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
