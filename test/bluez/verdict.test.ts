// tools/bluez/verdict.ts: which timer ended a run against bluetooth-meshd, from the events it saw.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verdict, stagesOf, type RunEvent } from '../../tools/bluez/verdict.ts';

const ev = (ms: number, src: RunEvent['src'], text: string): RunEvent => ({ ms, src, text });
const opening = [
  ev(0, 'prov', 'add-node'),
  ev(20, 'meshd', 'PB-ADV open confirmed'),
  ev(25, 'air', 'meshd tx Invite (tn 0x0)'),
  ev(400, 'air', 'device tx Capabilities (tn 0x80)'),
  ev(410, 'air', 'meshd tx Start (tn 0x1)'),
  ev(500, 'air', 'meshd tx Public Key (tn 0x2)'),
  ev(1500, 'device', 'debug mesh: rx Public Key (65 bytes)'),
];

test('provisioned: both meshd and the device say so; stages in order; the device ECDH time', () => {
  const v = verdict([
    ...opening,
    ev(16500, 'device', 'debug mesh: ECDH done'),
    ev(16600, 'air', 'device tx Public Key (tn 0x81)'),
    ev(16700, 'prov', 'prompt-static kind=static-oob'),
    ev(19000, 'device', 'info mesh: provisioned over pb-adv: address 0x100'),
    ev(19100, 'prov', 'complete unicast=256 count=1'),
  ]);
  assert.ok(v.provisioned);
  assert.is(v.cause, null);
  assert.is(v.ecdhMs, 15000);
  assert.equal(v.stages.map((s) => s.stage).slice(0, 3), ['AddNode (meshd sends Link Open)', 'meshd: link open confirmed', 'meshd sends Invite']);
  assert.ok(v.stages.every((s, i) => i === 0 || s.ms >= v.stages[i - 1].ms));
});

test("meshd's 30 s tx_timeout after its Public Key: named, with the time since that transaction", () => {
  const v = verdict([
    ...opening,
    ev(30500, 'meshd', 'TX timeout'),
    ev(30510, 'prov', 'failed Timeout'),
  ]);
  assert.not.ok(v.provisioned);
  assert.match(v.cause!, /30 s tx_timeout fired at 30\.5 s, 30\.0 s after it sent Public Key \(tn 0x2\)/);
  assert.match(v.cause!, /device's last: rx Public Key/);
  assert.is(v.ecdhMs, null);
});

test("no Link Ack: meshd's 60 s link-open timer", () => {
  const v = verdict([ev(0, 'prov', 'add-node'), ev(60000, 'meshd', 'TX timeout'), ev(60001, 'prov', 'failed Timeout')]);
  assert.match(v.cause!, /60 s link-open timer/);
});

test("the device's own timer, when it closes first", () => {
  const v = verdict([...opening, ev(61500, 'device', 'warn mesh: protocol timeout awaiting Confirmation'), ev(61600, 'meshd', 'Link closed notification: 01')]);
  assert.match(v.cause!, /device's own timer: protocol timeout awaiting Confirmation at 61\.5 s/);
});

test('a failed session and a silent run are told apart', () => {
  assert.match(verdict([...opening, ev(2000, 'device', 'warn mesh: provisioning failed: Confirmation Failed awaiting Random')]).cause!, /device failed the session: provisioning failed: Confirmation Failed/);
  assert.match(verdict([...opening, ev(2000, 'prov', 'failed bad-pdu')]).cause!, /meshd reported failed bad-pdu/);
  assert.is(verdict(opening).cause, 'no outcome within the run time');
  // meshd alone saying complete is not enough
  assert.not.ok(verdict([...opening, ev(3000, 'prov', 'complete unicast=256 count=1')]).provisioned);
});

test('stages ignore unrelated lines', () => {
  assert.equal(stagesOf([ev(1, 'meshd', 'Provisioning packet received type: 01 (12 octets)'), ev(2, 'device', 'debug mesh: repeat')]), []);
});

test.run();
