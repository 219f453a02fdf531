// The phone: joins a board's own access point and submits the setup form over real HTTP to the board's
// emulated http.createServer; sends the UDP discovery probe to the board's emulated dgram socket.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VirtualClock } from '../../sim/clock.ts';
import { Timeline, eventText } from '../../sim/timeline.ts';
import { Rng } from '../../sim/rng.ts';
import { Board } from '../../sim/board/board.ts';
import { attachWssWorld } from '../../sim/board/wifi.ts';
import '../../sim/board/net.ts';
import { WifiWorld } from '../../sim/world/aps.ts';
import { phoneDiscovery, phoneSoftApSetup } from '../../sim/world/phone.ts';

async function setup() {
  const clock = new VirtualClock();
  const timeline = new Timeline(() => clock.now());
  const world = new WifiWorld(clock, timeline);
  await world.start();
  world.addAccessPoint({ ssid: 'home', passphrase: 'password1', behind: 'internet' });
  const board = new Board({ id: 'b1', clock, timeline, rng: new Rng(1) });
  attachWssWorld(board, world);
  board.powerOn();
  return { clock, timeline, world, board, stop: async () => { board.powerOff('end'); await world.stop(); } };
}

test('soft AP setup page: the phone joins, GETs the form, POSTs the home network; sta_joined fires', async () => {
  const s = await setup();
  s.board.evaluate(`
    var W = require('Wifi'), http = require('http');
    W.on('sta_joined', function (d) { print('sta_joined ' + d.mac); });
    W.startAP('Maker-Setup', { password: 'setup-pass', authMode: 'wpa2' }, function (err) {
      print('ap started ' + err);
      http.createServer(function (req, res) {
        var body = '';
        req.on('data', function (d) { body += d; });
        req.on('end', function () {
          print('request ' + req.method + ' ' + req.url + ' [' + body + ']');
          res.writeHead(200, { 'Content-Type': 'text/html' });
          res.end(req.method === 'GET' ? '<form method="POST" action="/connect"></form>' : 'joining');
        });
      }).listen(80);
    });
  `);
  phoneSoftApSetup(s, s.board, { ssid: 'home', passphrase: 'pass word&1', delayMs: 2000 });
  await s.clock.run({ until: 10000 });
  const out = s.board.console.join('\n');
  assert.match(out, /ap started null/);
  assert.match(out, /sta_joined 3c:22:fb:00:00:01/);
  assert.match(out, /request GET \/ \[\]/);
  assert.match(out, /request POST \/connect \[ssid=home&passphrase=pass%20word%261\]/);
  const ev = s.timeline.events.map(eventText).join('\n');
  assert.match(ev, /the device's own access point/);
  assert.match(ev, /GET \/ -> 200 \(setup form\)/);
  assert.match(ev, /POST \/connect \(home network "home"\) -> 200/);
  await s.stop();
});

test('local discovery: the phone on the home network probes UDP and gets the device answer', async () => {
  const s = await setup();
  s.board.evaluate(`
    var W = require('Wifi'), dgram = require('dgram');
    W.connect('home', { password: 'password1' }, function () {
      var sock = dgram.createSocket('udp4');
      sock.on('message', function (msg, rinfo) {
        print('probe ' + msg + ' from ' + rinfo.address);
        var a = JSON.stringify({ id: 'dev-1', ip: W.getIP().ip });
        sock.send(a, 0, a.length, rinfo.port, rinfo.address);
      });
      sock.bind(50000, function () { print('bound'); });
    });
  `);
  s.clock.setTimer(() => phoneDiscovery(s, s.board, { afterMs: 0 }), 5000);
  await s.clock.run({ until: 10000 });
  const out = s.board.console.join('\n');
  assert.match(out, /bound/);
  assert.match(out, /probe FFS_DISCOVER +from 192\.168\.\d+\.23/, 'the padded probe arrives');
  assert.ok(s.timeline.events.some((e) => eventText(e).includes('answer from the device: {"id":"dev-1","ip":"192.168.')));
  await s.stop();
});

test.run();
