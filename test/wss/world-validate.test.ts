// Scenario sections of the WSS world: one clear line per problem, naming the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { worldPlugin as apsPlugin } from '../../sim/world/aps.ts';
import { worldPlugin as provPlugin, Provisioner } from '../../sim/world/provisioner.ts';
import { worldPlugin as phonePlugin } from '../../sim/world/phone.ts';
import { worldPlugin as wssPlugin } from '../../sim/world/wss-run.ts';
import { loadExtensions, validateScenario } from '../../sim/scenario.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { Timeline } from '../../sim/timeline.ts';
import { WifiWorld } from '../../sim/world/aps.ts';
import { makeWssPki } from '../../sim/world/test-pki.ts';
import { encodeSetupSsid } from '../../sim/world/wss-codec.ts';

const S = {} as any;

test('accessPoints: every bad field is its own line', () => {
  const p = apsPlugin.validate([{ ssid: '', security: 'wpa3', passphrase: 'short', behind: 'moon', colour: 'red', channel: 15 }], S);
  for (const f of ['.ssid:', '.security:', '.behind:', '.colour:', '.channel:']) assert.ok(p.some((l) => l.startsWith('world.accessPoints[0]' + f)), f + '\n' + p.join('\n'));
  assert.equal(apsPlugin.validate([{ ssid: 'home', passphrase: 'long enough' }, { ssid: 'cafe', security: 'open' }], S), []);
  assert.equal(apsPlugin.validate({}, S), ['world.accessPoints: expected an array of access points']);
});

test('provisioner, phone and wss sections', () => {
  assert.ok(provPlugin.validate({ encoded: 'yes', raiseDelayMs: -1, productIndexes: ['toolong'] }, S).length === 3);
  assert.equal(provPlugin.validate({ encoded: true, simpleSetup: true }, S), []);
  const ph = phonePlugin.validate({ softApSetup: { passphrase: 1, path: 'connect' }, discovery: { port: 0 } }, S);
  assert.ok(ph.some((l) => l.startsWith('world.phone.softApSetup.ssid:')));
  assert.ok(ph.some((l) => l.startsWith('world.phone.softApSetup.path:')));
  assert.ok(ph.some((l) => l.startsWith('world.phone.discovery.port:')));
  assert.equal(wssPlugin.validate({ tlsProfile: 'paranoid' }, S).length, 1);
});

test('a whole scenario: problems from several plugins, each on one line naming the field', async () => {
  await loadExtensions();
  const p = validateScenario({ name: 'x', world: { accessPoints: [{ ssid: 'a', behind: 'sea' }], dss: { faults: [{ op: 'report', do: 'boom' }] }, wifi: {} } });
  assert.ok(p.some((l) => l.includes('world.accessPoints[0].behind:')), p.join('\n'));
  assert.ok(p.some((l) => l.includes('world.dss.faults[0].do:')));
  assert.ok(p.some((l) => l.includes('world.wifi: no world plugin has this key')));
  assert.ok(p.every((l) => !l.includes('\n')));
});

test('the provisioner raises the hidden WPA2 network with the passphrase the device derives', () => {
  const clock = new VirtualClock();
  const timeline = new Timeline(() => clock.now());
  const world = new WifiWorld(clock, timeline);
  const pki = makeWssPki({ seed: 'prov' });
  const prov = new Provisioner({ clock, timeline, world, deviceTypePrivateKeyPem: pki.deviceType.privateKeyPem, raiseDelayMs: 0 });
  prov.registerDevice(pki.device.publicKeyDer);
  const nonce = Buffer.from('0102030405060708090a0b0c', 'hex');
  const ssid = encodeSetupSsid(pki.device.publicKeyDer, pki.productIndex, nonce);
  world.probe('b1', 'not-an-ffs-network-at-all-here!!', 'aa:bb:cc:dd:ee:ff');
  world.probe('b1', ssid, 'aa:bb:cc:dd:ee:ff');
  const ap = world.aps.find((a) => a.ssid === ssid);
  assert.ok(ap, 'hidden setup network raised');
  assert.is(ap!.hidden, true);
  assert.is(ap!.security, 'wpa2');
  assert.is(ap!.behind, 'dssRelay');
  const shared = diffieHellman({ privateKey: createPrivateKey(pki.device.privateKeyPem), publicKey: createPublicKey(pki.deviceType.publicKeyPem) });
  const device = createHmac('sha256', createHash('sha256').update(shared).digest()).update(nonce).digest('base64');
  assert.is(ap!.passphrase, device);
  // an unknown device (not in the cloud registry) gets nothing
  const stranger = makeWssPki({ seed: 'stranger' });
  world.probe('b2', encodeSetupSsid(stranger.device.publicKeyDer, 'ABCD', nonce), 'aa:bb:cc:dd:ee:01');
  assert.is(world.aps.length, 1);
});

test.run();
