// The provisioner and the emulated ESP32 Wifi/http modules, driven by firmware-like code in a real
// emulated board (sim/board), against the real loopback DSS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VirtualClock } from '../../sim/clock.ts';
import { Timeline, eventText } from '../../sim/timeline.ts';
import { Rng } from '../../sim/rng.ts';
import { Board } from '../../sim/board/board.ts';
import { attachWssWorld } from '../../sim/board/wifi.ts';
import '../../sim/board/net.ts';
import { WifiWorld, DSS_PUBLIC_IP } from '../../sim/world/aps.ts';
import { DssServer } from '../../sim/world/dss.ts';
import { Provisioner } from '../../sim/world/provisioner.ts';
import { makeWssPki } from '../../sim/world/test-pki.ts';
import { decodeSetupSsid, encodeSetupSsid, setupPassphrase } from '../../sim/world/wss-codec.ts';

const vector = JSON.parse(readFileSync(new URL('./support/wss-real-run.json', import.meta.url), 'utf8'));

test('the real setup SSID decodes to the vector fields and re-encodes byte-exact', () => {
  const v = vector.encodedSetupNetwork;
  const d = decodeSetupSsid(v.ssid);
  assert.is(d.authMaterialIndex.toString('hex'), v.authMaterialIndex);
  assert.is(d.productIndex, v.productIndex);
  assert.is(d.nonce.toString('hex'), v.nonceHex);
  const devPub = createPublicKey(createPrivateKey(vector.devicePrivateKeyPem)).export({ type: 'spki', format: 'der' }) as Buffer;
  assert.is(encodeSetupSsid(devPub, v.productIndex, d.nonce), v.ssid);
});

test('the provisioner derivation (device-type private x device public) equals the device formula on the real vector', () => {
  // The vector has only the device-type PUBLIC key: run the device-side formula with the device's
  // private key, then check the cloud-side formula on a test pair gives the same as its mirror.
  const v = vector.encodedSetupNetwork;
  const nonce = Buffer.from(v.nonceHex, 'hex');
  const shared = diffieHellman({ privateKey: createPrivateKey(vector.devicePrivateKeyPem), publicKey: createPublicKey(vector.deviceTypePublicKeyPem) });
  const k = createHash('sha256').update(shared).digest();
  assert.is(k.toString('hex'), v.sha256OfEcdhX);
  assert.is(createHmac('sha256', k).update(nonce).digest('base64'), v.passphrase);
  const pki = makeWssPki({ seed: 'mirror' });
  const cloud = setupPassphrase({ deviceTypePrivateKeyPem: pki.deviceType.privateKeyPem, devicePublicKeyDer: pki.device.publicKeyDer, nonce });
  const sharedDev = diffieHellman({ privateKey: createPrivateKey(pki.device.privateKeyPem), publicKey: createPublicKey(pki.deviceType.publicKeyPem) });
  const device = createHmac('sha256', createHash('sha256').update(sharedDev).digest()).update(nonce).digest('base64');
  assert.is(cloud, device);
  assert.is(cloud.length, 44);
});

async function setup() {
  const clock = new VirtualClock();
  const timeline = new Timeline(() => clock.now());
  const pki = makeWssPki({ seed: 'radio' });
  const world = new WifiWorld(clock, timeline);
  await world.start();
  const dss = new DssServer({ pki, clock, timeline, account: { networks: [{ ssid: 'home', securityProtocol: 'WPA_PSK', key: 'password1' }] },
    onStall: (p) => world.stall(p) });
  await dss.start();
  world.registerHost('dp-sps-na.amazon.com', DSS_PUBLIC_IP, { 443: { port: dss.realPort(443), label: 'DSS' }, 8888: { port: dss.realPort(8888), label: 'relay' } },
    ['internet', 'noDns', 'dssSetup', 'dssRelay']);
  const prov = new Provisioner({ clock, timeline, world, deviceTypePrivateKeyPem: pki.deviceType.privateKeyPem });
  prov.registerDevice(pki.device.publicKeyDer);
  world.addAccessPoint({ ssid: 'home', passphrase: 'password1', behind: 'internet' });
  const board = new Board({ id: 'b1', clock, timeline, rng: new Rng(1) });
  attachWssWorld(board, world);
  board.powerOn();
  const stop = async () => {
    board.powerOff('end');
    await dss.stop();
    await world.stop();
  };
  return { clock, timeline, pki, world, dss, prov, board, stop };
}

test('directed probe -> hidden WPA2 network -> joined on the driver\'s silent retry -> mutual TLS to the DSS on 8888', async () => {
  const s = await setup();
  const nonce = Buffer.from('00112233445566778899aabb', 'hex');
  const ssid = encodeSetupSsid(s.pki.device.publicKeyDer, s.pki.productIndex, nonce);
  const pass = setupPassphrase({ deviceTypePrivateKeyPem: s.pki.deviceType.privateKeyPem, devicePublicKeyDer: s.pki.device.publicKeyDer, nonce });
  Object.assign(s.board.current().global, { __cfg: { ssid, pass, cert: s.pki.deviceCertChainDer.map((d) => d.toString('latin1')).join(''),
    key: s.pki.device.privateKeyDer.toString('latin1') } });
  s.board.evaluate(`
    var W = require('Wifi'), http = require('http'), cbs = 0;
    W.on('disconnected', function (d) { print('disconnected ' + d.reason + ' ' + d.msg); });
    W.scan(function (list) { print('scan ' + list.length + ' ' + typeof list[0].channel + ' hidden:' + JSON.stringify(list.map(function (a) { return a.ssid; }))); });
    function join() {
      W.connect(__cfg.ssid, { password: __cfg.pass }, function (err) {
        cbs++;
        print('connected ' + err + ' ' + W.getDetails().status);
        var body = JSON.stringify({ nonce: 'abcdefghijabcdefghijabcdefghij1' });
        var req = http.request({ host: 'dp-sps-na.amazon.com', port: 8888, path: '/api/v1/startProvisioningSession', method: 'POST',
          protocol: 'https:', headers: { 'Content-Type': 'application/json', 'Content-Length': body.length }, cert: __cfg.cert, key: __cfg.key },
          function (res) { var b = ''; res.on('data', function (d) { b += d; }); res.on('close', function () { print('status ' + typeof res.statusCode + ' ' + res.statusCode + ' ' + b.length); }); });
        req.end(body);
      });
    }
    join();
    setTimeout(function () { if (W.getDetails().status !== 'connected') { print('retry after ' + W.getDetails().status); join(); } }, 4000);
  `);
  await s.clock.run({ until: 20000 });
  const out = s.board.console.join('\n');
  assert.match(out, /scan 2 string hidden:\["","home"\]|scan 2 string hidden:\["home",""\]/);
  assert.not.match(out, /disconnected/, 'the driver retried silently: no disconnected event');
  assert.ok(s.timeline.events.some((e) => eventText(e).includes('failed (NO_AP_FOUND); the driver retries')));
  assert.match(out, /connected null connected/);
  assert.match(out, /status string 200 \d+/);
  assert.ok(s.timeline.events.some((e) => eventText(e).includes('ClientHello server name "mbed TLS Server 1"')));
  assert.ok(s.timeline.events.some((e) => eventText(e).includes('bytes after the first DER certificate are ignored')));
  assert.equal(s.prov.heard.filter((h) => h.ok).length, 1);
  await s.stop();
});

test('quirks: DNS failure throws from end(), a wrong password never calls back (3 silent attempts), getHostByName null off-network', async () => {
  const s = await setup();
  s.board.evaluate(`
    var W = require('Wifi'), http = require('http');
    try { http.request({ host: 'dp-sps-na.amazon.com', path: '/', method: 'POST', protocol: 'https:' }, function () {}).end('x'); }
    catch (e) { print('threw ' + e.message.trim()); }
    W.connect('home', { password: 'wrong-password' }, function () { print('callback must not run'); });
    W.on('disconnected', function (d) { print('disconnected ' + d.msg); });
    W.getHostByName('example.com', function (ip) { print('dns ' + ip); });
    try { W.ping('1.2.3.4'); } catch (e) { print('ping: ' + e.message); }
  `);
  await s.clock.run({ until: 10000 });
  assert.not.match(s.board.console.join('\n'), /disconnected/, 'still retrying at 10 s');
  await s.clock.run({ until: 20000 });
  const out = s.board.console.join('\n');
  assert.match(out, /threw Unable to locate host/);
  assert.match(out, /disconnected 4WAY_HANDSHAKE_TIMEOUT/);
  assert.not.match(out, /callback must not run/);
  assert.match(out, /dns null/);
  assert.match(out, /ping: sim: Wifi\.ping is not emulated/);
  await s.stop();
});

test('a scan while the station is still connecting never calls back, and the next scan throws', async () => {
  const s = await setup();
  s.board.evaluate(`
    var W = require('Wifi');
    W.connect('home', { password: 'password1' }, function () { print('joined'); });
    W.scan(function (l) { print('scan callback ' + l.length); });
    setTimeout(function () { try { W.scan(function () {}); } catch (e) { print('second scan: ' + e.message); } }, 5000);
  `);
  await s.clock.run({ until: 8000 });
  const out = s.board.console.join('\n');
  assert.match(out, /joined/);
  assert.not.match(out, /scan callback/);
  assert.match(out, /second scan: A scan is already in progress/);
  await s.stop();
});

test('tls.connect: connect fires before the handshake ends; a refused handshake closes with "unsent data"; net.connect throws on DNS', async () => {
  const s = await setup();
  s.world.addAccessPoint({ ssid: 'lab', passphrase: 'password2', behind: 'internet' });
  Object.assign(s.board.current().global, { __k: { cert: s.pki.deviceCertChainDer[0].toString('latin1'), key: s.pki.device.privateKeyDer.toString('latin1') } });
  s.board.evaluate(`
    var W = require('Wifi'), tls = require('tls'), net = require('net');
    try { net.connect({ host: 'example.com', port: 80 }, function () {}); } catch (e) { print('net threw ' + e.message.trim()); }
    W.connect('lab', { password: 'password2' }, function () {
      var body = JSON.stringify({ nonce: 'abcdefghijabcdefghijabcdefghij1' });
      var got = '';
      var good = tls.connect({ host: 'dp-sps-na.amazon.com', port: 443, cert: __k.cert, key: __k.key }, function () {
        print('good connect');
        good.write('POST /api/v1/startProvisioningSession HTTP/1.1\\r\\nHost: dp-sps-na.amazon.com\\r\\nContent-Length: ' + body.length + '\\r\\nConnection: close\\r\\n\\r\\n' + body);
      });
      good.on('data', function (d) { got += d; });
      good.on('close', function () { print('good close ' + got.split('\\r\\n')[0]); });
      var bad = tls.connect({ host: 'dp-sps-na.amazon.com', port: 443 }, function () { print('bad connect'); bad.write('GET / HTTP/1.1\\r\\n\\r\\n'); });
      bad.on('error', function (e) { print('bad error ' + e.code + ' ' + e.message); });
      bad.on('close', function () { print('bad close'); });
    });
  `);
  await s.clock.run({ until: 15000 });
  const out = s.board.console.join('\n');
  assert.match(out, /good connect/);
  assert.match(out, /good close HTTP\/1\.1 200 OK/, s.timeline.events.map(eventText).join('\n'));
  assert.match(out, /bad connect/);
  assert.match(out, /bad error -8 unsent data/);
  assert.match(out, /Uncaught InternalError: Failed! mbedtls_ssl_handshake/);
  assert.match(out, /net threw Unable to locate host/);
  await s.stop();
});

test.run();
