// The trace page without a browser: decoders (cross-checked against the Echo's own PB-ADV encoder in
// sim/world/echo.ts), the diagram model, and escaping of what goes into the page.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildModel, decodeAdvertising, decodeEvent, decodeProvisioningPdu, pbAdvFcs, renderTrace, scriptJson, summariseAdvertising } from '../../sim/trace';
import { fcs, pbAdvAd, segmentGeneric } from '../../sim/world/echo';
import type { SimEvent } from '../../sim/timeline';

test('provisioning PDUs decode to their Mesh Profile §5.4.1 fields', () => {
  assert.equal(decodeProvisioningPdu(Buffer.from('0005', 'hex')), { 'PDU type': '0x00 Invite', 'Attention Duration': '5 s' });
  const caps = decodeProvisioningPdu(Buffer.from('010100010001000000000000', 'hex'));
  assert.is(caps['Number of Elements'], 1);
  assert.is(caps.Algorithms, '0x0001 (P-256/CMAC-AES128)');
  assert.is(caps['Static OOB Type'], '0x01 (static OOB available)');
  const start = decodeProvisioningPdu(Buffer.from('020000010000', 'hex'));
  assert.is(start['Authentication Method'], '1 (static OOB)');
  assert.is(decodeProvisioningPdu(Buffer.from('0903', 'hex'))['Error Code'], '0x03 Unexpected PDU');
  const key = decodeProvisioningPdu(Buffer.concat([Buffer.from([3]), Buffer.alloc(32, 0xaa), Buffer.alloc(32, 0xbb)]));
  assert.is(key['Public Key X'], 'aa'.repeat(32));
  assert.is(key['Public Key Y'], 'bb'.repeat(32));
  assert.match(String(decodeProvisioningPdu(Buffer.from('0005ff', 'hex')).length), 'the spec says 1');
  assert.match(String(decodeProvisioningPdu(Buffer.from('4005', 'hex')).padding), 'must be 0');
});

test('PB-ADV packets from the Echo encoder decode back (link, transaction, segments, FCS)', () => {
  const invite = Buffer.from('0005', 'hex');
  for (let i = 0; i < 64; i++) {
    const b = Buffer.from([i, (i * 7) & 0xff, 255 - i]);
    assert.is(pbAdvFcs(b), fcs(b));
  }
  const [seg] = segmentGeneric(invite);
  const ad = decodeAdvertising(pbAdvAd(0x62d94971, 0x00, seg)) as Record<string, any>;
  assert.is(ad['AD type'], '0x29 PB-ADV');
  assert.is(ad['Link ID'], '0x62d94971');
  const g = ad['Generic Provisioning PDU'];
  assert.is(g.GPCF, '0b00 Transaction Start');
  assert.match(g.FCS, '(matches)');
  assert.is(g['Provisioning PDU']['PDU type'], '0x00 Invite');
  // a 65-byte Public Key: three segments
  const segs = segmentGeneric(Buffer.concat([Buffer.from([3]), Buffer.alloc(64, 1)]));
  assert.is(segs.length, 3);
  const first = (decodeAdvertising(pbAdvAd(1, 0x81, segs[0])) as any)['Generic Provisioning PDU'];
  assert.is(first.SegN, 2);
  assert.is(first['Total Length'], 65);
  assert.is(summariseAdvertising(pbAdvAd(1, 0x81, segs[2])), 'txn 0x81: Transaction Continuation 2');
  assert.is(summariseAdvertising(pbAdvAd(1, 0, Buffer.from([0x0b, 0x01]))), 'txn 0x00: Link Close (Timeout)');
  assert.is(summariseAdvertising(pbAdvAd(1, 0, Buffer.from([0x01]))), 'txn 0x00: Transaction Acknowledgment');
  // a wrong FCS is named; a truncated AD structure is an error, not an exception
  const bad = Buffer.from(seg); bad[3] ^= 0xff;
  assert.match((decodeAdvertising(pbAdvAd(1, 0, bad)) as any)['Generic Provisioning PDU'].FCS, 'WRONG');
  assert.match(JSON.stringify(decodeAdvertising(Buffer.from('1f29', 'hex'))), 'claims 31 bytes');
});

const ev = (t: number, actor: string, kind: string, summary: string, extra: Partial<SimEvent> = {}): SimEvent => ({ t, actor, kind, summary, ...extra });

test('the model: lanes in a fixed order, arrows between device and world actors', () => {
  const events = [
    ev(0, 'device', 'power', 'power on', { board: 'dev1' }),
    ev(1, 'storage', 'write', 'ffs.boot 86 bytes', { board: 'dev1' }),
    ev(2, 'echo', 'pdu', 'tx Invite (2 bytes)'),
    ev(3, 'echo', 'pdu', 'rx Capabilities (12 bytes)', { bytes: '010100010001000000000000' }),
    ev(4, 'dss', 'http', ':443 report X -> 200 DONE (signed)', { fields: { op: 'report', status: 200, response: '{"a":1}' } }),
    ev(5, 'wifi', 'join', 'joining "home"', { board: 'dev1' }),
    ev(6, 'wifi', 'join', 'associated with "home"', { board: 'dev1' }),
    ev(7, 'sim', 'fault', 'powerCut (at 7)', { board: 'dev1' }),
  ];
  const { lanes, rows } = buildModel(events);
  assert.equal(lanes.map((l) => l.id), ['storage', 'board:dev1', 'wifi', 'dss', 'echo']);
  const lane = (id: string) => lanes.findIndex((l) => l.id === id);
  const byLabel = (s: string) => rows.find((r) => r.label.includes(s))!;
  assert.equal([byLabel('Invite').from, byLabel('Invite').to], [lane('echo'), lane('board:dev1')]);
  assert.equal([byLabel('Capabilities').from, byLabel('Capabilities').to], [lane('board:dev1'), lane('echo')]);
  assert.equal([byLabel('ffs.boot').from, byLabel('ffs.boot').to], [lane('board:dev1'), lane('storage')]);
  assert.is(byLabel('DONE').cls, 'exchange');
  assert.is(byLabel('joining').to, lane('wifi'));
  assert.is(byLabel('associated').to, lane('board:dev1'));
  assert.is(byLabel('powerCut').cls, 'fault');
  assert.equal((decodeEvent(events[4]) as any)['response body'], { a: 1 });
});

test('page: one file, no external resource, event text never becomes markup', () => {
  const evil = '</script><script>alert(1)</script><!-- \u2028 &amp;';
  const html = renderTrace({
    scenario: { name: '<b>x</b>' }, ok: true, outcome: 'booted', failures: [evil], virtualMs: 1,
    events: [ev(0, 'device', 'log', evil, { board: 'dev1' })],
  });
  assert.is(html.match(/<script/g)!.length, 2);
  assert.is(html.match(/<\/script>/g)!.length, 2);
  assert.not.match(html, /(src|href)=["']?(https?:)?\/\//);
  assert.match(html, "default-src 'none'");
  assert.match(html, '<title>PASS &lt;b&gt;x&lt;/b&gt;');
  const json = /<script type="application\/json" id="trace-data">([\s\S]*?)<\/script>/.exec(html)![1];
  assert.is(JSON.parse(json).events[0].summary, evil);
  assert.not.match(scriptJson({ s: evil }), /[<>\u2028]/);
});

test.run();
