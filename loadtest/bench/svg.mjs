// results.svg by hand: grouped bars per panel, one colour per server.
import { cpuPerDelivery } from './lib/targets.mjs';

const COLORS = { roar: '#d9480f', socketio: '#1c7ed6', uws: '#2b8a3e' };
const KINDS = ['roar', 'socketio', 'uws'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const short = (x) =>
  x >= 1e6
    ? `${(x / 1e6).toFixed(x >= 1e7 ? 0 : 1)}M`
    : x >= 1e4
      ? `${Math.round(x / 1e3)}k`
      : x >= 100
        ? Math.round(x).toString()
        : x.toFixed(1);

function panel({ x, y, w, h, title, subtitle, groups, scalePerGroup = false }) {
  const parts = [];
  parts.push(
    `<text x="${x + w / 2}" y="${y + 16}" text-anchor="middle" font-size="14" font-weight="600">${esc(title)}</text>`,
  );
  parts.push(
    `<text x="${x + w / 2}" y="${y + 33}" text-anchor="middle" font-size="11" fill="#555">${esc(subtitle)}</text>`,
  );
  const top = y + 50;
  const bottom = y + h - 40;
  const max = Math.max(1e-9, ...groups.flatMap((g) => g.bars.map((b) => b.value ?? 0)));
  parts.push(
    `<line x1="${x + 10}" y1="${bottom}" x2="${x + w - 10}" y2="${bottom}" stroke="#333"/>`,
  );
  const gw = (w - 20) / Math.max(1, groups.length);
  groups.forEach((g, gi) => {
    const gx = x + 10 + gi * gw;
    const bw = Math.min(46, (gw - 20) / Math.max(1, g.bars.length));
    const start = gx + (gw - bw * g.bars.length) / 2;
    const scale = scalePerGroup ? Math.max(1e-9, ...g.bars.map((b) => b.value ?? 0)) : max;
    g.bars.forEach((b, bi) => {
      const bx = start + bi * bw;
      if (b.value === undefined) {
        parts.push(
          `<text x="${bx + bw / 2}" y="${bottom - 4}" text-anchor="middle" font-size="10" fill="#888">n/a</text>`,
        );
        return;
      }
      const bh = ((bottom - top) * b.value) / scale;
      parts.push(
        `<rect x="${bx + 2}" y="${bottom - bh}" width="${bw - 4}" height="${bh}" fill="${COLORS[b.kind]}"><title>${esc(`${b.kind}: ${b.value}`)}</title></rect>`,
      );
      parts.push(
        `<text x="${bx + bw / 2}" y="${bottom - bh - 4}" text-anchor="middle" font-size="10">${esc(short(b.value))}</text>`,
      );
    });
    parts.push(
      `<text x="${gx + gw / 2}" y="${bottom + 16}" text-anchor="middle" font-size="11">${esc(g.label)}</text>`,
    );
    if (g.sub)
      parts.push(
        `<text x="${gx + gw / 2}" y="${bottom + 30}" text-anchor="middle" font-size="10" fill="#555">${esc(g.sub)}</text>`,
      );
  });
  return parts.join('\n');
}

export function renderSvg(r, names) {
  const servers = r.servers ?? [];
  const by = (kind) => servers.find((s) => s.kind === kind);
  const sizes = [...new Set(servers.flatMap((s) => s.fanout.map((f) => f.viewers)))].sort(
    (a, b) => b - a,
  );
  const cpuGroups = [];
  const rateGroups = [];
  for (const n of sizes) {
    const p = cpuPerDelivery(servers, n, KINDS);
    if (p) {
      cpuGroups.push({
        label: `${short(n)} viewers`,
        sub: p.common ? `${p.rates.join(', ')} msg/s` : 'each over its own steps',
        bars: KINDS.map((kind) => ({ kind, value: p.kinds[kind]?.cpuSPerMillion })),
      });
    }
    rateGroups.push({
      label: `${short(n)} viewers`,
      bars: KINDS.map((kind) => {
        const ok = (by(kind)?.fanout ?? []).filter(
          (f) => f.viewers === n && f.deliveryRatio >= 0.95,
        );
        return { kind, value: ok.length ? Math.max(...ok.map((f) => f.deliveredPerS)) : undefined };
      }),
    });
  }
  const stormGroups = servers.some((s) => s.storm)
    ? [
        {
          label: 'messages per CPU-s',
          bars: KINDS.map((kind) => ({ kind, value: by(kind)?.storm?.messagesPerCpuS })),
        },
        {
          label: 'viewer-seconds per CPU-s',
          bars: KINDS.map((kind) => {
            const s = by(kind)?.storm;
            return { kind, value: s ? (s.viewers * s.seconds) / s.serverCpuS : undefined };
          }),
        },
      ]
    : [];
  const W = 1080;
  const H = 400;
  const pw = W / 3;
  const body = [
    panel({
      x: 0,
      y: 30,
      w: pw,
      h: H - 60,
      title: 'Server CPU-s per million deliveries',
      subtitle: 'fanout, lower is better',
      groups: cpuGroups,
    }),
    panel({
      x: pw,
      y: 30,
      w: pw,
      h: H - 60,
      title: 'Deliveries/s sustained (≥ 95% delivered)',
      subtitle: 'fanout, highest step; load-generator bound',
      groups: rateGroups,
    }),
    panel({
      scalePerGroup: true,
      x: 2 * pw,
      y: 30,
      w: pw,
      h: H - 60,
      title: 'Chat storm, 200 msg/s into one stream',
      subtitle: 'higher is better; each group on its own scale',
      groups: stormGroups,
    }),
  ];
  const legend = KINDS.map(
    (k, i) =>
      `<rect x="${20 + i * 200}" y="${H - 22}" width="12" height="12" fill="${COLORS[k]}"/><text x="${38 + i * 200}" y="${H - 12}" font-size="12">${esc(names[k])}</text>`,
  ).join('\n');
  const m = r.machine ?? {};
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="13" fill="#333">${esc(`Roar bench (${r.mode}) · ${m.cpus} × ${m.cpuModel} · Node ${m.node} · ${m.commit} · ${(m.date ?? '').slice(0, 10)}`)}</text>
${body.join('\n')}
${legend}
</svg>
`;
}
