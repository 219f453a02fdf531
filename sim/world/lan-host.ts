// A host on a network the device is reachable from, sending raw HTTP to the device's server (the soft-AP
// setup page) over a real loopback socket: it can hold back the last bytes of its request and send them
// later (issue 14 item 4: a POST /connect held open through the join window, finished afterwards).
// Virtual time is held only while its bytes are being written; the device answers when it gets to it.
import net from 'node:net';
import type { Board } from '../board/board.ts';
import type { WorldContext, WorldPlugin } from '../scenario.ts';
import { wssContext } from '../medium/wifi.ts';

export interface LanHostRequest {
  /** start once an event containing this text is on the timeline for the board (default: the device's HTTP server listens) */
  afterEvent?: string;
  /** virtual ms after that event */
  delayMs?: number;
  /** the device's server port (default 80) */
  port?: number;
  /** the raw request text (\r\n line ends); Content-Length is the caller's business */
  request: string;
  /** bytes of the end of `request` held back (default 0) */
  holdBytes?: number;
  /** virtual ms after the start at which the held-back bytes are sent */
  finishAfterMs?: number;
}

export interface LanHostSection {
  requests: LanHostRequest[];
}

function emit(ctx: WorldContext, kind: string, summary: string, board?: string): void {
  ctx.timeline.emit({ actor: 'lan', kind, summary, board });
}

/** The request line, for the timeline ("POST /connect"). */
function label(r: LanHostRequest): string {
  return r.request.split('\r\n')[0].split(' ').slice(0, 2).join(' ');
}

/** Bytes written reach the device's socket a moment later (real time): keep virtual time until then. */
function afterDelivery(release: () => void): void {
  setTimeout(release, 50);
}

export function lanHostRequest(ctx: WorldContext, board: Board, r: LanHostRequest): void {
  const name = label(r);
  const port = r.port ?? 80;
  const hold = Math.min(r.holdBytes ?? 0, r.request.length);
  const text = Buffer.from(r.request, 'latin1');
  const first = text.subarray(0, text.length - hold);
  const rest = text.subarray(text.length - hold);
  const real = wssContext(board).world.deviceServers.get(`${board.id}:${port}`);
  if (!real) {
    emit(ctx, 'http', `${name}: nothing listens on port ${port}`, board.id);
    return;
  }
  let got = '';
  let serverClosed = false;
  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    const status = got.startsWith('HTTP/') ? got.slice(9, 12) : '';
    emit(ctx, 'http', `${name} -> ${status || 'closed without an answer'}`, board.id);
  };
  const sock = net.connect({ host: '127.0.0.1', port: real, allowHalfOpen: true });
  ctx.onStop(() => void sock.destroy());
  sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
  sock.on('end', () => {
    serverClosed = true;
    report();
    sock.end();
  });
  sock.on('close', () => {
    serverClosed = true;
    report();
  });
  sock.on('error', () => undefined);
  const release = ctx.clock.hold('lan host connect');
  sock.on('connect', () => {
    sock.write(first, () => afterDelivery(release));
    emit(ctx, 'http', `${name}: sent ${first.length} of ${text.length} bytes${hold ? `, holding back ${hold}` : ''}`, board.id);
  });
  if (!hold) return;
  ctx.clock.setTimer(() => {
    if (serverClosed || sock.destroyed) {
      emit(ctx, 'http', `${name}: the held-back ${hold} bytes not sent: the device closed the connection`, board.id);
      return;
    }
    const release2 = ctx.clock.hold('lan host finish');
    sock.write(rest, () => afterDelivery(release2));
    emit(ctx, 'http', `${name}: sent the held-back ${hold} bytes`, board.id);
  }, r.finishAfterMs ?? 0); // the host's own time: not owned by the board (a busy device does not delay it)
}

export const worldPlugin: WorldPlugin = {
  key: 'lanHost',
  validate(section) {
    const p: string[] = [];
    const s = section as Record<string, any>;
    if (!s || typeof s !== 'object' || !Array.isArray(s.requests)) return ['world.lanHost: expected {requests: [{request, holdBytes?, finishAfterMs?, afterEvent?, delayMs?, port?}]}'];
    for (const k of Object.keys(s)) if (k !== 'requests') p.push(`world.lanHost.${k}: unknown field (known: requests)`);
    const known = ['afterEvent', 'delayMs', 'port', 'request', 'holdBytes', 'finishAfterMs'];
    s.requests.forEach((r: any, i: number) => {
      const at = `world.lanHost.requests[${i}]`;
      if (!r || typeof r !== 'object') {
        p.push(`${at}: expected an object`);
        return;
      }
      for (const k of Object.keys(r)) if (!known.includes(k)) p.push(`${at}.${k}: unknown field (known: ${known.join(', ')})`);
      if (typeof r.request !== 'string' || !/^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.test(r.request)) p.push(`${at}.request: expected raw HTTP text ("POST /connect HTTP/1.1\\r\\n...")`);
      for (const k of ['delayMs', 'holdBytes', 'finishAfterMs']) {
        if (r[k] !== undefined && !(typeof r[k] === 'number' && r[k] >= 0)) p.push(`${at}.${k}: expected a number >= 0`);
      }
      if (r.port !== undefined && !(Number.isInteger(r.port) && r.port > 0 && r.port < 65536)) p.push(`${at}.port: expected a TCP port`);
      if (r.afterEvent !== undefined && (typeof r.afterEvent !== 'string' || !r.afterEvent)) p.push(`${at}.afterEvent: expected event text`);
      if (r.finishAfterMs !== undefined && !(r.holdBytes > 0)) p.push(`${at}.finishAfterMs: only with holdBytes > 0`);
    });
    return p;
  },
  async attach(ctx, section) {
    const { wssRun } = await import('./wss-run.ts');
    await wssRun(ctx);
    const s = section as LanHostSection;
    const boards = new Map<string, Board>();
    ctx.onBoard((b) => boards.set(b.id, b));
    const started = new Set<string>();
    ctx.timeline.on((e) => {
      s.requests.forEach((r, i) => {
        const board = e.board ? boards.get(e.board) : undefined;
        if (!board || e.actor === 'lan') return;
        const key = `${e.board}:${i}`;
        if (started.has(key)) return;
        const text = r.afterEvent ?? 'device HTTP server on port';
        const line = `${e.actor} ${e.kind} ${e.summary}`;
        if (!line.includes(text)) return;
        started.add(key);
        ctx.clock.setTimer(() => lanHostRequest(ctx, board, r), r.delayMs ?? 0);
      });
    });
  },
};
