// The UDP air bridge end to end: the real bundle in the simulator (real-time pacing) is provisioned by a
// provisioner that lives OUTSIDE the simulated air and only speaks UDP datagrams of raw AD structures on
// loopback — the path another Bluetooth Mesh stack takes to join a simulation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { loadScenario, runScenario } from '../../sim/scenario.ts';
import { makeIdentity } from '../../flash/identity.ts';
import { PbAdvClient, ProvisionerProtocol } from '../../sim/world/echo.ts';

test('an external provisioner provisions the device through the UDP bridge', async () => {
  const scenario = await loadScenario('mesh-udp-bridge');
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const myPort = (sock.address() as { port: number }).port;
  scenario.world = { air: { udpBridge: { port: 0, peers: [myPort] } } };
  scenario.expect = { events: ['mesh: provisioned over pb-adv', 'mesh: link closed over pb-adv (reason 0)'], forbid: ['provisioning failed'] };

  const id = makeIdentity({ seed: `${scenario.name}:${scenario.seed}:dev1` });
  const uuid = Buffer.from(id.bss.deviceUuid.replace(/-/g, ''), 'hex');
  let bridgePort = 0;
  let sockOpen = true;
  const protocol = new ProvisionerProtocol({
    staticOob: Buffer.from(id.bss.oobData, 'hex'),
    netKey: Buffer.alloc(16, 0x42), keyIndex: 0, flags: 0, ivIndex: 0, address: 0x0201,
  });
  let result = '';
  const client = new PbAdvClient({
    uuid,
    linkId: 0x5eed0001,
    timers: { now: () => Date.now(), set: (fn, ms) => setTimeout(fn, ms) as unknown as number, clear: (t) => clearTimeout(t as unknown as NodeJS.Timeout) },
    transmit: (ad) => void (bridgePort && sockOpen && sock.send(ad, bridgePort, '127.0.0.1')),
    repeats: 2,
    onOpen: () => protocol.start().send.forEach((p) => client.send(p)),
    onPdu: (pdu) => {
      const step = protocol.onPdu(pdu);
      step.send.forEach((p) => client.send(p));
      if (step.done) {
        result = step.done;
        setTimeout(() => sockOpen && client.close(0), 200);
      }
    },
    onClose: () => undefined,
  });
  let opened = false;
  let beacons = 0;
  sock.on('message', (m) => {
    if (m[1] === 0x2b && m.subarray(3, 19).equals(uuid)) {
      beacons++;
      if (!opened) {
        opened = true;
        client.openLink();
      }
    } else if (m[1] === 0x29) client.onPayload(m.subarray(2, 1 + m[0]));
  });
  const r = await runScenario(scenario, {
    storageDir: null,
    realtime: true,
    onEvent: (e) => {
      const m = /UDP bridge on 127\.0\.0\.1:(\d+)/.exec(e.summary);
      if (m) bridgePort = Number(m[1]);
    },
  });
  client.close(0); // stops the client's timers
  sockOpen = false;
  sock.close();
  assert.ok(bridgePort > 0, 'the bridge reported its port');
  assert.ok(beacons > 0, 'beacons reached the external side as datagrams');
  assert.ok(r.ok, r.failures.join('; '));
  assert.is(result, 'complete');
  const devKey = protocol.devKey!.toString('hex');
  const stored = ['ffs.meshnet.a', 'ffs.meshnet.b'].map((n) => r.boards[0].storage.readString(n) ?? '').join();
  assert.ok(stored.includes(devKey), 'the device stored the DevKey the external provisioner derived');
});

test.run();
