// The emulated `http` server (sim/board/net.ts) against Espruino 2v29's (libs/network/socketserver.c
// socketServerConnectionsIdle, httpParseHeaders; src/jswrap_stream.c jswrap_stream_pushData;
// src/jswrap_object.c jswrap_object_on). One Espruino script serves, one Node client drives real
// loopback connections, and every fact below is checked on the emulation always and, when ESPRUINO_BIN
// names the Linux build of 2v29, on the real interpreter with the same script and client (both must
// give the same table). Real time is used (the real interpreter has no other): ~9 s per run; the
// checks are on what happened and in which order, never on how long it took.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VirtualClock } from '../../sim/clock.ts';
import { Timeline } from '../../sim/timeline.ts';
import { Rng } from '../../sim/rng.ts';
import { Board } from '../../sim/board/board.ts';
import { wssContext } from '../../sim/board/wifi.ts';
import '../../sim/board/net.ts';
import '../../sim/world/aps.ts';

const bin = process.env.ESPRUINO_BIN;

/** The server: logs what JS sees of each connection; the path says how to answer. */
const SERVER = (port: number, durationMs: number) => `
function log(s) { print('EV ' + s); }
var server = require('http').createServer(function (req, res) {
  var id = req.url.split('?')[1] || '?';
  var p = req.url.split('?')[0];
  log(id + ' request ' + req.method + ' ' + p + ' cl=' + req.headers['Content-Length'] + ' hdrs=' + Object.keys(req.headers).length + ' avail=' + req.available());
  req.on('data', function (d) { log(id + ' data ' + d.length); });
  req.on('end', function () { log(id + ' end'); });
  req.on('close', function (e) { log(id + ' close ' + e); });
  res.on('close', function (e) { log(id + ' res-close ' + e); });
  res.on('end', function () { log(id + ' res-end'); });
  if (p === '/now') res.end('now');
  if (p === '/later') setTimeout(function () { res.end('later'); }, 200);
  if (p === '/cls0') { res.end('cls0'); req.clsNow = true; }
  if (p === '/cls20') { res.end('cls20'); setTimeout(function () { req.clsNow = true; }, 20); }
  if (p === '/lateCls') setTimeout(function () { req.clsNow = true; }, 400);
  if (p === '/closeServer') { server.close(); log('server closed'); setTimeout(function () { res.end('after'); }, 200); }
});
server.listen(${port});
setTimeout(function () { log('done'); }, ${durationMs});
`;
const DURATION_MS = 10500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Step = { wait?: number; send?: string; end?: boolean };

/** One client connection: what came back within `watchMs` and whether the server closed it. */
function exchange(port: number, name: string, steps: Step[], watchMs = 500): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let got = '';
    let closed = false;
    let refused = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('end', () => (closed = true));
    s.on('error', (e: NodeJS.ErrnoException) => (refused = e.code ?? 'error'));
    s.on('connect', async () => {
      for (const st of steps) {
        if (st.wait) await sleep(st.wait);
        if (st.send !== undefined) s.write(st.send);
        if (st.end) s.end();
      }
    });
    setTimeout(() => {
      const head = got.includes('\r\n\r\n') ? got.slice(0, got.indexOf('\r\n\r\n')) : '';
      const body = head ? got.slice(head.length + 4) : '';
      const status = got.slice(9, 12) || '-';
      s.destroy();
      resolve(refused ? `${name}: refused ${refused}` : `${name}: ${status} ${JSON.stringify(body)} [${head.split('\r\n').slice(1).join('|')}] ${closed ? 'closed' : 'open'}`);
    }, watchMs);
  });
}

const post = (p: string, id: string, body: string, cl: number | string = body.length, extra = '') =>
  `POST ${p}?${id} HTTP/1.1\r\nHost: x\r\n${extra}Content-Length: ${cl}\r\n\r\n${body}`;

/** The client side of every fact, in order (the server sees them one after the other). */
async function drive(port: number): Promise<string[]> {
  const out: string[] = [];
  await sleep(400);
  out.push(await exchange(port, 'A', [{ send: post('/now', 'A', 'hello') }]));
  out.push(await exchange(port, 'B', [{ send: 'GET /now?B HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n' }]));
  out.push(await exchange(port, 'C', [{ send: 'GET /now?C HTTP/1.1\r\nHo' }, { wait: 200, send: 'st: x\r\n\r\n' }]));
  out.push(await exchange(port, 'D', [{ send: post('/now', 'D', 'hello', 10) }, { wait: 200, end: true }], 900));
  out.push(await exchange(port, 'E', [{ send: post('/now', 'E', 'hello', 10) }, { wait: 200, send: 'world' }]));
  out.push(await exchange(port, 'F', [{ send: post('/cls0', 'F', 'x') }]));
  out.push(await exchange(port, 'G', [{ send: post('/cls20', 'G', 'x') }]));
  out.push(await exchange(port, 'H', [{ send: post('/cls20', 'H', 'x', 5) }]));
  out.push(await exchange(port, 'I', [{ send: post('/lateCls', 'I', 'abc', 9) }], 800));
  out.push(await exchange(port, 'J', [{ send: 'GET /later?J HTTP/1.1\r\nHost: x\r\n\r\n', end: true }]));
  out.push(await exchange(port, 'K', [{ send: 'GET /now?K HTT' }, { wait: 100, end: true }]));
  out.push(await exchange(port, 'L', [{ send: post('/now', 'L', 'B'.repeat(1200)) }]));
  out.push(await exchange(port, 'M', [{ send: `GET /now?M HTTP/1.1\r\nX-Pad: ${'p'.repeat(3000)}\r\n\r\n` }]));
  out.push(await exchange(port, 'N', [{ send: post('/now', 'N', 'ab', 'zz') }]));
  out.push(await exchange(port, 'O', [{ send: 'GET /now?O HTTP/1.1\r\nHost: x\r\n\r\nGET /now?O2 HTTP/1.1\r\n\r\n' }]));
  const held = exchange(port, 'P', [{ send: post('/now', 'P', 'a', 3) }], 1500);
  await sleep(200);
  out.push(await exchange(port, 'Q', [{ send: 'GET /closeServer?Q HTTP/1.1\r\n\r\n' }]));
  out.push(await exchange(port, 'R', [{ send: 'GET /now?R HTTP/1.1\r\n\r\n' }]));
  out.push(await held);
  return out;
}

/** What JS saw, per connection id, in order. */
function byConnection(lines: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of lines) {
    const m = /EV (\S+) (.*)$/.exec(l);
    if (m) (out[m[1]] ||= []).push(m[2]);
  }
  return out;
}

async function onEmulation(): Promise<{ client: string[]; server: Record<string, string[]> }> {
  const clock = new VirtualClock();
  const timeline = new Timeline(() => clock.now());
  const board = new Board({ id: 'b1', clock, timeline, rng: new Rng(1) });
  board.powerOn();
  board.evaluate(SERVER(80, DURATION_MS));
  let realPort = 0;
  for (let i = 0; i < 50 && !realPort; i++) {
    await clock.run({ until: clock.now() + 1 });
    realPort = wssContext(board).world.deviceServers.get('b1:80') ?? 0;
    if (!realPort) await sleep(10);
  }
  assert.ok(realPort, 'the emulated server listens');
  let finished = false;
  const client = drive(realPort).finally(() => (finished = true));
  await clock.run({ realtime: 1, until: DURATION_MS + 2000, stop: () => finished });
  const lines = await client;
  board.powerOff('end');
  return { client: lines, server: byConnection(board.console) };
}

async function onRealInterpreter(): Promise<{ client: string[]; server: Record<string, string[]> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ffs-http-fidelity-'));
  const port = 20000 + (process.pid % 20000);
  writeFileSync(path.join(dir, 'server.js'), SERVER(port, DURATION_MS));
  const p = spawn(bin!, ['server.js'], { cwd: dir });
  let stdout = '';
  p.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise((r) => p.on('close', r)); // after stdout is drained
  const lines = await drive(port);
  p.kill();
  await exited;
  return { client: lines, server: byConnection(stdout.split(/\r?\n/)) };
}

// The table both must give. Measured on the Linux build of 2v29 (ESPRUINO_BIN) on 2026-12-07.
const EXPECTED_CLIENT = [
  // the request callback has the body bytes that came with the head in req's buffer; every answer says
  // Connection: close and the server closes after res.end() once nothing is owed
  'A: 200 "now" [Server: Espruino 2v29|Connection: close] closed',
  // keep-alive asked: still closed
  'B: 200 "now" [Server: Espruino 2v29|Connection: close] closed',
  // a head in two pieces: one request, once it is complete
  'C: 200 "now" [Server: Espruino 2v29|Connection: close] closed',
  // Content-Length 10, 5 sent, the peer closes: answered, but the connection is never closed
  'D: 200 "now" [Server: Espruino 2v29|Connection: close] open',
  // the rest of the body later: then it closes
  'E: 200 "now" [Server: Espruino 2v29|Connection: close] closed',
  // clsNow right after res.end(): closed, the answer lost
  'F: - "" [] closed',
  // clsNow 20 ms after res.end(): the answer first
  'G: 200 "cls20" [Server: Espruino 2v29|Connection: close] closed',
  'H: 200 "cls20" [Server: Espruino 2v29|Connection: close] closed',
  // clsNow with bytes owed and no answer: closed
  'I: - "" [] closed',
  // the peer half-closed after a complete request: the answer still goes out
  'J: 200 "later" [Server: Espruino 2v29|Connection: close] closed',
  // the peer closed mid-head: no request, and the connection is never closed
  'K: - "" [] open',
  // a 1,200-byte body
  'L: 200 "now" [Server: Espruino 2v29|Connection: close] closed',
  // a 3,000-byte header line: no head limit
  'M: 200 "now" [Server: Espruino 2v29|Connection: close] closed',
  // Content-Length "zz" counts as 0
  'N: 200 "now" [Server: Espruino 2v29|Connection: close] closed',
  // a pipelined second request is data of the first
  'O: 200 "now" [Server: Espruino 2v29|Connection: close] closed',
  // server.close() inside a request: that one is still answered, new connections are refused
  'Q: 200 "after" [Server: Espruino 2v29|Connection: close] closed',
  'R: refused ECONNREFUSED',
  // a connection owed body bytes stays after server.close() (answered, never closed)
  'P: 200 "now" [Server: Espruino 2v29|Connection: close] open',
];

const EXPECTED_SERVER: Record<string, string[]> = {
  A: ['request POST /now cl=5 hdrs=2 avail=5', 'data 5', 'end', 'res-end', 'close false', 'res-close false'],
  B: ['request GET /now cl=undefined hdrs=2 avail=0', 'end', 'res-end', 'close false', 'res-close false'],
  C: ['request GET /now cl=undefined hdrs=1 avail=0', 'end', 'res-end', 'close false', 'res-close false'],
  // no 'end', no 'close' ever: the peer's close is not seen while bytes are owed
  D: ['request POST /now cl=10 hdrs=2 avail=5', 'data 5'],
  E: ['request POST /now cl=10 hdrs=2 avail=5', 'data 5', 'data 5', 'end', 'res-end', 'close false', 'res-close false'],
  F: ['request POST /cls0 cl=1 hdrs=2 avail=1', 'data 1', 'res-end', 'close false', 'res-close false'],
  G: ['request POST /cls20 cl=1 hdrs=2 avail=1', 'data 1', 'end', 'res-end', 'close false', 'res-close false'],
  H: ['request POST /cls20 cl=5 hdrs=2 avail=1', 'data 1', 'res-end', 'close false', 'res-close false'],
  I: ['request POST /lateCls cl=9 hdrs=2 avail=3', 'data 3', 'res-end', 'close false', 'res-close false'],
  J: ['request GET /later cl=undefined hdrs=1 avail=0', 'end', 'res-end', 'close false', 'res-close false'],
  // 481 = 536 - the 55-byte head: the first read; the rest in 536-byte reads
  L: ['request POST /now cl=1200 hdrs=2 avail=481', 'data 481', 'data 536', 'data 183', 'end', 'res-end', 'close false', 'res-close false'],
  M: ['request GET /now cl=undefined hdrs=1 avail=0', 'end', 'res-end', 'close false', 'res-close false'],
  N: ['request POST /now cl=zz hdrs=2 avail=2', 'data 2', 'end', 'res-end', 'close false', 'res-close false'],
  O: ['request GET /now cl=undefined hdrs=1 avail=24', 'data 24', 'end', 'res-end', 'close false', 'res-close false'],
  P: ['request POST /now cl=3 hdrs=2 avail=1', 'data 1'],
  Q: ['request GET /closeServer cl=undefined hdrs=0 avail=0', 'end', 'res-end', 'close false', 'res-close false'],
  server: ['closed'],
  done: [],
};

function check(r: { client: string[]; server: Record<string, string[]> }, where: string): void {
  assert.equal(r.client, EXPECTED_CLIENT, `${where}: what the clients got`);
  // K never made a request; the 'done' line has no connection
  const server = { ...r.server, done: [] };
  assert.equal(server, EXPECTED_SERVER, `${where}: what JS saw`);
}

test('http server: the emulation behaves as Espruino 2v29 (heads, bodies, closes, clsNow, server.close)', async () => {
  check(await onEmulation(), 'emulation');
});

test('http server: the same script on the real interpreter gives the same table (ESPRUINO_BIN)', async () => {
  if (!bin) {
    console.log('  (skipped: set ESPRUINO_BIN to run the same script on the real interpreter)');
    return;
  }
  check(await onRealInterpreter(), 'real 2v29');
});

test.run();
