// Local networking over Espruino's modules: `dgram` for the local-discovery responder and
// `http.createServer` for the soft-AP setup page.
import type { HalError, LogService, NetService } from '../types';
import { later } from './unavailable';

// Limits of the soft-AP setup server (issue 14): one station must not hold the sockets or fill the
// JsVar pool. Espruino buffers a request's head natively before JS sees it; what JS can refuse, it does.
const MAX_FORM_BYTES = 1024;
const MAX_HEAD_BYTES = 1024;
const MAX_CONNECTIONS = 2;
const DEADLINE_MS = 10000;

/**
 * Close a server connection after `ms` (time for an answer to go out), even one still owed body bytes:
 * Espruino's socketserver.c closes a connection whose request object has `clsNow` set, at its next
 * idle (checked on the 2v29 interpreter: nothing else closes such a connection from JS).
 */
function drop(req: any, ms: number): void {
  setTimeout(() => {
    req.clsNow = true;
  }, ms);
}

/** Open sockets and servers by 'u' (UDP) or 'h' (HTTP) and port: what the net service remembers. */
export type NetState = { [id: string]: any };

/**
 * The net service over `state` (a state of its own when none is given): the board's HAL keeps the
 * state alone and makes the methods at each read of `hal.net` (hal/espruino/index.ts), handing itself
 * as `deps`.
 */
export function createNet(deps: { log: LogService }, state?: NetState): NetService {
  const open: NetState = state || {};

  function close(id: string): void {
    const s = open[id];
    delete open[id];
    try {
      if (s) s.close();
    } catch (e) {
      // already closed
    }
  }

  return {
    listenUdp(opts): void {
      try {
        const sock = require('dgram').createSocket('udp4');
        sock.on('message', (msg: any, rinfo: any) => {
          rinfo = rinfo || {};
          const from = { address: String(rinfo.address || ''), port: rinfo.port || 0 };
          opts.onMessage(String(msg), from, (answer: string) => {
            if (from.port) sock.send(answer, 0, answer.length, from.port, from.address);
          });
        });
        sock.on('error', (e: any) => deps.log.log('warn', 'net', 'UDP ' + opts.port + ': ' + e));
        sock.bind(opts.port, () => later(() => opts.onDone(null, null)));
        open['u' + opts.port] = sock;
      } catch (e) {
        later(() => opts.onDone({ code: 'NET_UDP', message: 'UDP ' + opts.port + ': ' + e }, null));
      }
    },
    closeUdp(port: number): void {
      close('u' + port);
    },
    serveHttp(opts): void {
      let err: HalError | null = null;
      try {
        /** requests of the open connections */
        const live: any[] = [];
        const server = require('http').createServer((req: any, res: any) => {
          const method = String(req.method || 'GET');
          const url = String(req.url || '/');
          let body = '';
          let answered = false;
          live.push(req);
          function respond(status: number, contentType: string, text: string): void {
            if (answered) return;
            answered = true;
            // (Connection: close is Espruino's own default header of every answer: socketserver.c)
            res.writeHead(status, { 'Content-Type': contentType + '; charset=utf-8', 'Content-Length': String(text.length) });
            res.end(text);
          }
          /** Answer and close, even with body bytes still owed (which Espruino would keep open for ever). */
          function reject(status: number): void {
            respond(status, 'text/plain', '');
            drop(req, 20);
          }
          let deadline: any = setTimeout(() => {
            deadline = null; // fired: nothing left to clear (2v29 ignores a fired id; undefined would throw)
            reject(408);
          }, DEADLINE_MS);
          req.on('close', () => {
            answered = true;
            live.splice(live.indexOf(req), 1);
            if (deadline !== null) clearTimeout(deadline);
          });
          function dispatch(): void {
            if (!answered) opts.onRequest({ method: method, path: url.split('?')[0], body: body }, respond);
          }
          const h = req.headers || {};
          if (live.length > MAX_CONNECTIONS) return reject(503);
          if (url.length + JSON.stringify(h).length > MAX_HEAD_BYTES) return reject(431);
          // NaN when absent: compares like -1 below
          const expected = parseInt(h['Content-Length'] || h['content-length'], 10);
          if (method === 'GET' || method === 'HEAD' || !(expected > 0)) return dispatch();
          if (expected > MAX_FORM_BYTES) return reject(413);
          req.on('data', (d: any) => {
            if (answered) return;
            body += String(d);
            if (body.length > MAX_FORM_BYTES) reject(413);
            else if (body.length >= expected) dispatch();
          });
        });
        server.listen(opts.port);
        // closing ends the open connections too: Espruino's server.close() stops only new ones
        open['h' + opts.port] = {
          close(): void {
            server.close();
            live.forEach((r) => drop(r, 0));
          },
        };
      } catch (e) {
        err = { code: 'NET_HTTP_SERVER', message: 'HTTP ' + opts.port + ': ' + e };
      }
      later(() => opts.onDone(err, null));
    },
    closeHttp(port: number): void {
      close('h' + port);
    },
  };
}
