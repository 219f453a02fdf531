// Local networking over Espruino's modules: `dgram` for the local-discovery responder and
// `http.createServer` for the soft-AP setup page.
import type { LogService, NetService } from '../types';

const MAX_FORM_BYTES = 1024;

export function createNet(deps: { log: LogService }): NetService {
  const udp: { [port: string]: any } = {};
  const servers: { [port: string]: any } = {};

  function later(fn: () => void): void {
    setTimeout(fn, 0);
  }

  return {
    listenUdp(opts): void {
      try {
        const sock = require('dgram').createSocket('udp4');
        sock.on('message', (msg: any, rinfo: any) => {
          const text = typeof msg === 'string' ? msg : String(msg);
          const from = { address: rinfo && rinfo.address ? String(rinfo.address) : '', port: rinfo && rinfo.port ? rinfo.port : 0 };
          opts.onMessage(text, from, (answer: string) => {
            if (!from.port) return;
            sock.send(answer, 0, answer.length, from.port, from.address);
          });
        });
        sock.on('error', (e: any) => deps.log.log('warn', 'net', 'UDP ' + opts.port + ': ' + String(e)));
        sock.bind(opts.port, () => later(() => opts.onDone(null, null)));
        udp[String(opts.port)] = sock;
      } catch (e) {
        later(() => opts.onDone({ code: 'NET_UDP', message: 'cannot listen on UDP ' + opts.port + ': ' + String(e) }, null));
      }
    },
    closeUdp(port: number): void {
      const s = udp[String(port)];
      if (!s) return;
      delete udp[String(port)];
      try {
        s.close();
      } catch (e) {
        // already closed
      }
    },
    serveHttp(opts): void {
      try {
        const server = require('http').createServer((req: any, res: any) => {
          const method = String(req.method || 'GET');
          const url = String(req.url || '/');
          const q = url.indexOf('?');
          const path = q >= 0 ? url.substring(0, q) : url;
          let body = '';
          let answered = false;
          function respond(status: number, contentType: string, text: string): void {
            if (answered) return;
            answered = true;
            res.writeHead(status, { 'Content-Type': contentType + '; charset=utf-8', 'Content-Length': String(text.length), Connection: 'close' });
            res.end(text);
          }
          function dispatch(): void {
            if (answered) return;
            opts.onRequest({ method: method, path: path, body: body }, respond);
          }
          if (method === 'GET' || method === 'HEAD') {
            dispatch();
            return;
          }
          const lenHeader = req.headers ? req.headers['Content-Length'] || req.headers['content-length'] : undefined;
          const expected = lenHeader !== undefined ? parseInt(String(lenHeader), 10) : -1;
          if (expected > MAX_FORM_BYTES) {
            respond(413, 'text/plain', 'too large');
            return;
          }
          req.on('data', (d: any) => {
            body += typeof d === 'string' ? d : String(d);
            if (body.length > MAX_FORM_BYTES) respond(413, 'text/plain', 'too large');
            else if (expected >= 0 && body.length >= expected) dispatch();
          });
          req.on('end', dispatch);
          req.on('close', dispatch);
          if (expected === 0) dispatch();
        });
        server.listen(opts.port);
        servers[String(opts.port)] = server;
        later(() => opts.onDone(null, null));
      } catch (e) {
        later(() => opts.onDone({ code: 'NET_HTTP_SERVER', message: 'cannot serve HTTP on ' + opts.port + ': ' + String(e) }, null));
      }
    },
    closeHttp(port: number): void {
      const s = servers[String(port)];
      if (!s) return;
      delete servers[String(port)];
      try {
        s.close();
      } catch (e) {
        // already closed
      }
    },
  };
}
