// The customer's phone (the maker's app): joins a device's own access point and submits the home
// network on its setup page (the guide's fallback), and sends the UDP local-discovery probe on the home
// network once the device is there. Real sockets on loopback to the board's emulated http/dgram servers.
import http from 'node:http';
import dgram from 'node:dgram';
import type { Board } from '../board/board.ts';
import type { WorldContext, WorldPlugin } from '../scenario.ts';
import { wssContext } from '../medium/wifi.ts';
import type { UdpPeer } from './aps.ts';

export interface PhoneSection {
  softApSetup?: { ssid: string; passphrase: string; delayMs?: number; path?: string; ssidField?: string; passphraseField?: string };
  /** padTo: the probe is padded with spaces to this many bytes (default DISCOVERY_PROBE_BYTES; 0 = as is);
   *  from: the sender address the device sees (default a phone on the same subnet) */
  discovery?: { port?: number; message?: string; afterMs?: number; padTo?: number; from?: string };
}

/** The device answers only a probe at least as long as its answer (no amplification): pad to this. */
export const DISCOVERY_PROBE_BYTES = 512;

/** The maker's app's discovery probe: the probe text padded with spaces (the device trims it). */
export function paddedProbe(message: string, bytes = DISCOVERY_PROBE_BYTES): string {
  return message.padEnd(bytes, ' ');
}

type PhoneCtx = Pick<WorldContext, 'clock' | 'timeline'>;

function emit(ctx: PhoneCtx, kind: string, summary: string, board?: string, fields?: Record<string, unknown>): void {
  ctx.timeline.emit({ actor: 'phone', kind, summary, board, fields });
}

/** One HTTP exchange with a board's server, holding virtual time while it is in flight. */
function request(ctx: PhoneCtx, port: number, method: string, path: string, body: string): Promise<{ status: number; body: string } | null> {
  const release = ctx.clock.hold('phone http');
  return new Promise((resolve) => {
    const done = (v: { status: number; body: string } | null) => {
      clearTimeout(guard);
      release();
      resolve(v);
    };
    const guard = setTimeout(() => done(null), 3000);
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false,
      headers: body ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) } : {} },
    (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (d) => (text += d));
      res.on('end', () => done({ status: res.statusCode || 0, body: text }));
      res.on('error', () => done(null));
    });
    req.on('error', () => done(null));
    req.end(body);
  });
}

export function phoneSoftApSetup(ctx: PhoneCtx, board: Board, cfg: NonNullable<PhoneSection['softApSetup']>): void {
  const c = wssContext(board);
  const phoneMac = '3c:22:fb:00:00:01';
  ctx.clock.setTimer(async () => {
    const ap = c.station.softAp;
    if (!ap || !ap.up) {
      emit(ctx, 'softap', 'the device\'s access point is gone', board.id);
      return;
    }
    emit(ctx, 'join', `joined ${JSON.stringify(ap.ssid)}`, board.id);
    if (c.wifi) board.emitTo(c.wifi, 'sta_joined', board.object({ mac: phoneMac }));
    const port = c.world.deviceServers.get(`${board.id}:80`);
    if (!port) {
      emit(ctx, 'http', 'no setup page: nothing listens on port 80', board.id);
      return;
    }
    const page = await request(ctx, port, 'GET', '/', '');
    emit(ctx, 'http', `GET / -> ${page ? page.status : 'no answer'}${page && /<form/i.test(page.body) ? ' (setup form)' : ''}`, board.id);
    const form = `${encodeURIComponent(cfg.ssidField ?? 'ssid')}=${encodeURIComponent(cfg.ssid)}&` +
      `${encodeURIComponent(cfg.passphraseField ?? 'passphrase')}=${encodeURIComponent(cfg.passphrase)}`;
    const sent = await request(ctx, port, 'POST', cfg.path ?? '/connect', form);
    emit(ctx, 'http', `POST ${cfg.path ?? '/connect'} (home network ${JSON.stringify(cfg.ssid)}) -> ${sent ? sent.status : 'no answer'}`, board.id);
    ctx.clock.setTimer(() => {
      if (c.wifi) board.emitTo(c.wifi, 'sta_left', board.object({ mac: phoneMac }));
    }, 500, board.id);
  }, cfg.delayMs ?? 5000, board.id);
}

export function phoneDiscovery(ctx: PhoneCtx, board: Board, cfg: NonNullable<PhoneSection['discovery']>): void {
  const c = wssContext(board);
  ctx.clock.setTimer(() => {
    const ap = c.station.hasIp ? c.station.ap : null;
    if (!ap) return;
    const port = cfg.port ?? 50000;
    const real = c.world.deviceUdp.get(`${board.id}:${port}`);
    if (!real) {
      emit(ctx, 'discovery', `no answer: the device does not listen on UDP ${port}`, board.id);
      return;
    }
    const sock = dgram.createSocket('udp4');
    // Virtual time waits while the probe is on its way to the board's socket (released on delivery),
    // then the phone listens 1 s of virtual time: a board that is computing answers late, as on the
    // chip. The board's answer holds virtual time until it is in the phone's hands (sim/board/net.ts).
    let release: (() => void) | null = ctx.clock.hold('phone udp probe');
    const letGo = () => {
      if (release) release();
      release = null;
    };
    let finished = false;
    let peer: UdpPeer | null = null;
    const finish = (text: string) => {
      if (finished) return;
      finished = true;
      emit(ctx, 'discovery', text, board.id);
      sock.close();
      letGo();
      const a = peer && peer.answered;
      if (peer) peer.answered = null;
      if (a) a();
    };
    sock.on('message', (m) => finish(`answer from the device: ${m.toString('latin1')}`));
    sock.bind(0, '127.0.0.1', () => {
      const me = sock.address().port;
      const address = cfg.from ?? `192.168.${ap.subnet}.23`;
      peer = {
        address, port: me, ap,
        delivered: () => {
          if (!release) return;
          letGo();
          ctx.clock.setTimer(() => finish('no answer within 1 s'), 1000, board.id);
        },
      };
      c.world.udpPeers.set(me, peer);
      const text = cfg.message ?? 'FFS_DISCOVER';
      const msg = Buffer.from(paddedProbe(text, cfg.padTo ?? DISCOVERY_PROBE_BYTES), 'latin1');
      emit(ctx, 'discovery', `probe ${JSON.stringify(text)} (${msg.length} bytes) from ${address} to UDP ${port}`, board.id);
      sock.send(msg, real, '127.0.0.1');
      // a probe the board never reads (dropped, socket closed): the phone gives up after 1 s of real time
      setTimeout(() => {
        if (release) finish('no answer within 1 s');
      }, 1000);
    });
  }, cfg.afterMs ?? 3000, board.id);
}

export const worldPlugin: WorldPlugin = {
  key: 'phone',
  validate(section) {
    if (!section || typeof section !== 'object' || Array.isArray(section)) return ['world.phone: expected an object {softApSetup?, discovery?}'];
    const s = section as Record<string, any>;
    const p: string[] = [];
    for (const k of Object.keys(s)) if (!['softApSetup', 'discovery'].includes(k)) p.push(`world.phone.${k}: unknown field (known: softApSetup, discovery)`);
    if (s.softApSetup !== undefined) {
      const a = s.softApSetup;
      if (!a || typeof a !== 'object') p.push('world.phone.softApSetup: expected {ssid, passphrase, delayMs?, path?}');
      else {
        const known = ['ssid', 'passphrase', 'delayMs', 'path', 'ssidField', 'passphraseField'];
        for (const k of Object.keys(a)) if (!known.includes(k)) p.push(`world.phone.softApSetup.${k}: unknown field (known: ${known.join(', ')})`);
        if (typeof a.ssid !== 'string' || !a.ssid) p.push('world.phone.softApSetup.ssid: expected the home network name');
        if (typeof a.passphrase !== 'string') p.push('world.phone.softApSetup.passphrase: expected a string');
        if (a.delayMs !== undefined && !(typeof a.delayMs === 'number' && a.delayMs >= 0)) p.push('world.phone.softApSetup.delayMs: expected virtual ms');
        if (a.path !== undefined && !(typeof a.path === 'string' && a.path.startsWith('/'))) p.push('world.phone.softApSetup.path: expected a path starting with /');
      }
    }
    if (s.discovery !== undefined) {
      const d = s.discovery;
      if (!d || typeof d !== 'object') p.push('world.phone.discovery: expected {port?, message?, afterMs?, padTo?, from?}');
      else {
        for (const k of Object.keys(d)) if (!['port', 'message', 'afterMs', 'padTo', 'from'].includes(k)) p.push(`world.phone.discovery.${k}: unknown field (known: port, message, afterMs, padTo, from)`);
        if (d.padTo !== undefined && !(Number.isInteger(d.padTo) && d.padTo >= 0 && d.padTo <= 1400)) p.push('world.phone.discovery.padTo: expected a probe size in bytes (0 to 1400)');
        if (d.from !== undefined && !(typeof d.from === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(d.from))) p.push('world.phone.discovery.from: expected an IPv4 address');
        if (d.port !== undefined && !(Number.isInteger(d.port) && d.port > 0 && d.port < 65536)) p.push('world.phone.discovery.port: expected a UDP port');
        if (d.message !== undefined && typeof d.message !== 'string') p.push('world.phone.discovery.message: expected a string');
        if (d.afterMs !== undefined && !(typeof d.afterMs === 'number' && d.afterMs >= 0)) p.push('world.phone.discovery.afterMs: expected virtual ms');
      }
    }
    return p;
  },
  async attach(ctx, section) {
    const { wssRun } = await import('./wss-run.ts');
    await wssRun(ctx);
    const s = section as PhoneSection;
    const boards = new Map<string, Board>();
    ctx.onBoard((b) => boards.set(b.id, b));
    const setupDone = new Set<string>();
    const found = new Set<string>();
    ctx.timeline.on((e) => {
      const owner = e.fields && typeof e.fields.owner === 'string' ? e.fields.owner : '';
      if (s.softApSetup && e.actor === 'wifi' && e.kind === 'ap' && e.summary.includes(' up ') && boards.has(owner) && !setupDone.has(owner)) {
        setupDone.add(owner);
        phoneSoftApSetup(ctx, boards.get(owner)!, s.softApSetup);
      }
      if (s.discovery && e.actor === 'wifi' && e.kind === 'dhcp' && e.board && boards.has(e.board) && !found.has(e.board)) {
        const b = boards.get(e.board)!;
        const ap = wssContext(b).station.ap;
        if (ap && (ap.behind === 'internet') && ap.owner === 'scenario') {
          found.add(e.board);
          phoneDiscovery(ctx, b, s.discovery);
        }
      }
    });
  },
};
