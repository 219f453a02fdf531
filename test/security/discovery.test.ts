// Issue 14 item 9: local discovery (firmware/wss/discovery.ts) must not be a UDP amplifier: it answers
// only senders on the device's own subnet, only a probe at least as long as the answer, and at most
// once a second. The maker's app (sim/world/phone.ts) pads its probe accordingly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDiscovery, DISCOVERY_PORT, DISCOVERY_PROBE, discoveryAnswer } from '../../firmware/wss/discovery';
import { paddedProbe } from '../../sim/world/phone';

const CONFIG: Record<string, string> = {
  'DeviceInformation.ProductIndex': 'SIM1',
  'DeviceInformation.ManufacturerName': 'Acme',
  'DeviceInformation.SerialNumber': 'SN-0042',
  'DeviceInformation.ModelNumber': 'M1',
};

function device(ip = '192.168.1.77') {
  let now = 0;
  let handler: ((m: string, from: { address: string; port: number }, reply: (a: string) => void) => void) | null = null;
  const hal: any = {
    clock: { now: () => now },
    log: { log: () => undefined },
    config: { getConfigurationValue: (k: string) => CONFIG[k] },
    net: {
      listenUdp: (o: any) => {
        assert.is(o.port, DISCOVERY_PORT);
        handler = o.onMessage;
      },
      closeUdp: () => undefined,
    },
  };
  startDiscovery(hal, ip);
  const probe = (message: string, address = '192.168.1.20'): string => {
    let answer = '';
    handler!(message, { address, port: 40000 }, (a) => (answer = a));
    return answer;
  };
  return { probe, wait: (ms: number) => (now += ms), answer: discoveryAnswer(hal.config, ip) };
}

test('the 12-byte probe gets no answer: the answer would be many times longer', () => {
  const d = device();
  assert.ok(d.answer.length > 90, d.answer);
  assert.is(d.probe(DISCOVERY_PROBE), '');
  assert.is(d.probe(DISCOVERY_PROBE + '\n'), '');
});

test('a padded probe from the local subnet is answered, never with more bytes than it had', () => {
  const d = device();
  const p = paddedProbe(DISCOVERY_PROBE);
  const a = d.probe(p);
  assert.is(a, d.answer);
  assert.ok(a.length <= p.length, `${a.length} > ${p.length}`);
  assert.equal(JSON.parse(a).ip, '192.168.1.77');
});

test('senders off the local subnet are not answered (a spoofed victim address)', () => {
  const d = device();
  for (const from of ['203.0.113.9', '192.168.10.20', '10.0.0.1', '', '192.168.2.20']) assert.is(d.probe(paddedProbe(DISCOVERY_PROBE), from), '', from);
  const nowhere = device('');
  assert.is(nowhere.probe(paddedProbe(DISCOVERY_PROBE)), '', 'no IP known: no subnet, no answer');
});

test('at most one answer a second, however many probes arrive', () => {
  const d = device();
  let answers = 0;
  for (let i = 0; i < 50; i++) {
    if (d.probe(paddedProbe(DISCOVERY_PROBE))) answers++;
    d.wait(100);
  }
  assert.ok(answers >= 4 && answers <= 5, `${answers} answers in 5 s`);
});

test('anything else is ignored', () => {
  const d = device();
  assert.is(d.probe(paddedProbe('hello')), '');
  assert.is(d.probe(paddedProbe('FFS_DISCOVERX')), '');
});

test.run();
