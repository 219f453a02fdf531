// Local networking over Espruino's modules: `dgram` for the local-discovery responder and
// `http.createServer` for the soft-AP setup page.
import type { LogService, NetService } from '../types';

const MAX_FORM_BYTES = 1024;

export function createNet(deps: { log: LogService }): NetService {
  /** open sockets and servers by 'u' (UDP) or 'h' (HTTP) and port */
  const open: { [id: string]: any } = {};

  function later(fn: () => void): void {
    setTimeout(fn, 0);
  }

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
          const from = { address: String((rinfo && rinfo.address) || ''), port: (rinfo && rinfo.port) || 0 };
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
      try {
        const server = require('http').createServer((req: any, res: any) => {
          const method = String(req.method || 'GET');
          const path = String(req.url || '/').split('?')[0];
          let body = '';
          let answered = false;
          function respond(status: number, contentType: string, text: string): void {
            if (answered) return;
            answered = true;
            res.writeHead(status, { 'Content-Type': contentType + '; charset=utf-8', 'Content-Length': String(text.length), Connection: 'close' });
            res.end(text);
          }
          function dispatch(): void {
            if (!answered) opts.onRequest({ method: method, path: path, body: body }, respond);
          }
          if (method === 'GET' || method === 'HEAD') {
            dispatch();
            return;
          }
          const h = req.headers || {};
          // NaN when absent: compares like -1 below
          const expected = parseInt(String(h['Content-Length'] || h['content-length']), 10);
          const tooLarge = (): void => respond(413, 'text/plain', 'too large');
          if (expected > MAX_FORM_BYTES) {
            tooLarge();
            return;
          }
          req.on('data', (d: any) => {
            body += String(d);
            if (body.length > MAX_FORM_BYTES) tooLarge();
            else if (expected >= 0 && body.length >= expected) dispatch();
          });
          req.on('end', dispatch);
          req.on('close', dispatch);
          if (expected === 0) dispatch();
        });
        server.listen(opts.port);
        open['h' + opts.port] = server;
        later(() => opts.onDone(null, null));
      } catch (e) {
        later(() => opts.onDone({ code: 'NET_HTTP_SERVER', message: 'HTTP ' + opts.port + ': ' + e }, null));
      }
    },
    closeHttp(port: number): void {
      close('h' + port);
    },
  };
}
