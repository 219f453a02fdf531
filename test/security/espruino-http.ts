// A stand-in for Espruino 2v29's `http` server (libs/network/socketserver.c, socketServerConnectionsIdle
// and httpParseHeaders) with a virtual clock, for testing hal/espruino/net.ts on the host. What it keeps
// from the C code, checked on the real interpreter (Linux build of 2v29) where noted:
//  - headers are buffered natively, without a limit, until "\r\n\r\n"; only then does JS see a request
//    (the createServer callback, queued), with `req.headers` and Content-Length bytes still owed;
//  - body bytes reach JS as 'data' events (chunks of at most 536 bytes); req 'end' when none is owed;
//  - `res.end()` closes the connection only once nothing is owed: a request still owed body bytes stays
//    open for ever (real interpreter: no close within 6 s), whatever the server answered;
//  - `req.clsNow = true` closes it at the next idle, before anything still unsent goes out (real
//    interpreter: closed at once, the answer lost; set 20 ms after res.end(), the answer arrives first);
//  - server.close() closes the listening socket only: accepted connections stay.
// Timers (setTimeout/clearTimeout) are the virtual clock's; install() puts them on globalThis.

type Fn = (...a: any[]) => void;

function emitter<T extends object>(o: T): T & { on(e: string, f: Fn): void; emit(e: string, ...a: any[]): void } {
  const ls: Record<string, Fn[]> = {};
  return Object.assign(o, {
    on(e: string, f: Fn) {
      (ls[e] ||= []).push(f);
    },
    emit(e: string, ...a: any[]) {
      for (const f of ls[e] || []) f(...a);
    },
  });
}

export interface Client {
  /** bytes the client sends (they arrive in 536-byte pieces at the next idles) */
  send(text: string): void;
  /** the client closes its side */
  close(): void;
  received: string;
  closed: boolean;
}

interface Conn {
  client: Client;
  pending: string[];
  fin: boolean;
  buf: string;
  hadHeaders: boolean;
  owed: number;
  ended: boolean;
  req: any;
  res: any;
}

export function espruinoWorld() {
  let now = 0;
  let nextId = 1;
  const timers: Array<{ id: number; at: number; fn: Fn }> = [];
  const queue: Fn[] = [];
  const servers = new Map<number, { cb: Fn; conns: Conn[] }>();
  const all: Conn[] = [];
  /** body bytes handed to JS 'data' listeners, and how many of them after the request was answered */
  const stats = { dataBytes: 0, dataAfterAnswer: 0, maxOpen: 0 };

  const setTimeout = (fn: Fn, ms = 0): number => {
    const id = nextId++;
    timers.push({ id, at: now + Math.max(ms, 0), fn });
    return id;
  };
  const clearTimeout = (id: number): void => {
    const i = timers.findIndex((t) => t.id === id);
    if (i < 0) throw new Error('Unknown Timeout'); // Espruino throws on an unknown or fired id
    timers.splice(i, 1);
  };

  const http = {
    createServer(cb: Fn) {
      let port = 0;
      return {
        listen(p: number) {
          port = p;
          servers.set(p, { cb, conns: [] });
        },
        close() {
          servers.delete(port);
        },
      };
    },
  };

  function idleOne(c: Conn): boolean {
    let closeNow = !!(c.req && c.req.clsNow);
    if (!closeNow) {
      const chunk = c.pending.length ? c.pending.shift()! : null;
      const num = chunk !== null ? chunk.length : c.fin ? -1 : 0;
      if (num < 0) closeNow = true;
      else if (chunk) {
        c.buf += chunk;
        if (!c.hadHeaders) {
          const end = c.buf.indexOf('\r\n\r\n');
          if (end >= 0) {
            const lines = c.buf.substring(0, end).split('\r\n');
            const first = lines[0].split(' ');
            const headers: Record<string, string> = {};
            for (const l of lines.slice(1)) {
              const i = l.indexOf(':');
              if (i > 0) headers[l.slice(0, i)] = l.slice(i + 1).trim();
            }
            c.hadHeaders = true;
            c.owed = parseInt(headers['Content-Length'] || headers['content-length'] || '0', 10) || 0;
            c.buf = c.buf.substring(end + 4);
            c.req = emitter({ method: first[0], url: first[1], headers } as any);
            c.res = {
              sent: '',
              cls: false,
              writeHead(status: number, h: Record<string, string>) {
                this.sent += `HTTP/1.1 ${status} OK\r\n` + Object.keys(h || {}).map((k) => `${k}: ${h[k]}\r\n`).join('') + '\r\n';
              },
              end(data?: string) {
                if (data !== undefined) this.sent += data;
                this.cls = true;
              },
            };
            const srvCb = (c as any).cb as Fn;
            queue.push(() => srvCb(c.req, c.res));
          }
        }
        if (c.hadHeaders && c.buf) {
          const piece = c.buf;
          c.buf = '';
          c.owed -= piece.length;
          const req = c.req;
          const res = c.res;
          queue.push(() => {
            stats.dataBytes += piece.length;
            if (res.cls) stats.dataAfterAnswer += piece.length;
            req.emit('data', piece);
          });
        }
      }
      if (c.res && c.res.sent) {
        c.client.received += c.res.sent;
        c.res.sent = '';
      }
      if (num <= 0) {
        let really = !!(c.res && c.res.cls);
        if (c.owed > 0 || !c.hadHeaders) really = false;
        else if (!c.ended) {
          c.ended = true;
          const req = c.req;
          queue.push(() => req.emit('end'));
        }
        closeNow = really;
      }
    }
    if (closeNow) {
      c.client.closed = true;
      if (c.req) {
        const req = c.req;
        queue.push(() => req.emit('close', false));
      }
      return false;
    }
    return true;
  }

  function idle(): void {
    for (let i = all.length - 1; i >= 0; i--) if (!idleOne(all[i])) all.splice(i, 1);
    stats.maxOpen = Math.max(stats.maxOpen, all.length);
    while (queue.length) queue.shift()!();
  }

  return {
    http,
    stats,
    setTimeout,
    clearTimeout,
    now: () => now,
    open: () => all.length,
    /** a TCP client connecting to `port` (null: nothing listens there) */
    connect(port: number): Client | null {
      const s = servers.get(port);
      if (!s) return null;
      const client: Client = {
        received: '',
        closed: false,
        send(text) {
          for (let i = 0; i < text.length; i += 536) conn.pending.push(text.slice(i, i + 536));
        },
        close() {
          conn.fin = true;
        },
      };
      const conn: Conn = { client, pending: [], fin: false, buf: '', hadHeaders: false, owed: 0, ended: false, req: null, res: null };
      (conn as any).cb = s.cb;
      all.push(conn);
      return client;
    },
    /** run the idle loop and the timers for `ms` virtual ms, in 5 ms steps */
    run(ms: number): void {
      const end = now + ms;
      while (now < end) {
        idle();
        now += 5;
        for (;;) {
          timers.sort((a, b) => a.at - b.at || a.id - b.id);
          if (!timers.length || timers[0].at > now) break;
          const t = timers.shift()!;
          t.fn();
          while (queue.length) queue.shift()!();
        }
      }
      idle();
    },
  };
}

export type EspruinoWorld = ReturnType<typeof espruinoWorld>;

/** Put the world's http module and timers on globalThis for `fn` (the HAL's require/setTimeout). */
export function withEspruino<T>(w: EspruinoWorld, fn: () => T): T {
  const g = globalThis as any;
  const saved = { require: g.require, setTimeout: g.setTimeout, clearTimeout: g.clearTimeout };
  g.require = (m: string) => {
    if (m === 'http') return w.http;
    throw new Error('Module ' + m + ' not found');
  };
  g.setTimeout = w.setTimeout;
  g.clearTimeout = w.clearTimeout;
  try {
    return fn();
  } finally {
    Object.assign(g, saved);
  }
}
