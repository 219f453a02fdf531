// The emulated REPL speaks like Espruino's (src/jsinteractive.c): echo, DLE echo-off, "=value",
// bracket continuation, Ctrl-C, one client at a time, and the espruino package's own expression call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { startBoard, type TestBoard } from './harness.ts';
import { countBrackets } from '../../sim/repl.ts';
import { Link } from '../../flash/link.ts';

function talk(port: number, input: string, waitMs = 300): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from(input, 'latin1')));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('error', reject);
    setTimeout(() => {
      s.destroy();
      resolve(out);
    }, waitMs);
  });
}

let tb: TestBoard;
test.before(async () => {
  tb = await startBoard({ id: 'repl' });
});
test.after(async () => {
  await tb.close();
});

test('bracket counting ignores strings and comments', () => {
  assert.is(countBrackets('f(1,"(",\'[\')'), 0);
  assert.is(countBrackets('function(){ // {'), 1);
  assert.is(countBrackets('a[/* ] */'), 1);
  assert.is(countBrackets('`${'), 1);
});

test('echo and =value; DLE turns echo and the result off for one line', async () => {
  const out = await talk(tb.repl.port, '1+2\n\x10 40+2\nprint("x")\n');
  assert.ok(out.includes('1+2\r\n=3\r\n>'), JSON.stringify(out));
  assert.not.ok(out.includes('40+2'), 'DLE line not echoed');
  assert.not.ok(out.includes('=42'), 'DLE line result not printed');
  assert.ok(out.includes('print("x")\r\nx\r\n=undefined\r\n>'), JSON.stringify(out));
});

test('open brackets continue on the next line; errors print Uncaught and no result', async () => {
  const out = await talk(tb.repl.port, 'var q=(\n5)\nnope()\nq\n');
  assert.ok(out.includes('var q=(\r\n:5)'), JSON.stringify(out));
  assert.ok(/Uncaught ReferenceError: nope is not defined\r\n>/.test(out), JSON.stringify(out));
  assert.ok(out.includes('q\r\n=5\r\n'), JSON.stringify(out));
});

test('Ctrl-C clears a half-typed line; \\r\\n counts as one newline', async () => {
  const out = await talk(tb.repl.port, 'garbage(((\x03\r\n7*6\r\n');
  assert.not.ok(out.includes('Uncaught'), JSON.stringify(out));
  assert.ok(out.includes('=42'), JSON.stringify(out));
  assert.is(out.split('=42').length, 2, 'the line ran once');
});

test('ESC \\n continues a line without running it; ESC [ n d line hints are swallowed; syntax errors print Uncaught', async () => {
  const out = await talk(tb.repl.port, '\x10\x1b[1dvar f = function () {\x1b\n  return 9;\x1b\n};\nf()\n\x10var = ;\n');
  assert.ok(out.includes('f()\r\n=9'), JSON.stringify(out));
  assert.match(out, /Uncaught SyntaxError/);
});

test('a second client is told the port is busy', async () => {
  const first = net.connect(tb.repl.port, '127.0.0.1');
  await new Promise((r) => first.once('connect', r));
  const out = await talk(tb.repl.port, '', 500);
  first.destroy();
  assert.match(out, /REPL busy/);
});

test('the espruino package evaluates expressions against it unmodified, and reset()/load() keep the connection', async () => {
  await new Promise((r) => setTimeout(r, 50));
  const link = await Link.open({ port: tb.port });
  try {
    assert.is(await link.evaluate('process.env.BOARD'), 'ESP32');
    assert.equal(await link.evaluate('[1,"a",{b:2}]'), [1, 'a', { b: 2 }]);
    assert.is(await link.evaluate('require("Storage").write("t.txt","hello")'), true);
    await link.write('\x10reset();\n');
    await new Promise((r) => setTimeout(r, 100));
    assert.is(await link.evaluate('require("Storage").read("t.txt")'), 'hello', 'Storage survives reset()');
    assert.is(await link.evaluate('typeof q'), 'undefined', 'RAM cleared by reset()');
  } finally {
    await link.close();
  }
});

test.run();
