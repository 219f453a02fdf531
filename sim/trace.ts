// The trace page: one self-contained HTML file (inline CSS and JS, no external resource, works from
// file://) with a sequence diagram of a scenario run: the device(s), their Storage, the access points,
// the provisioner, the DSS, the phone, the air and the Echo over virtual time. Every row expands to the
// event's fields, what this module decodes from its bytes (PB-ADV, Generic Provisioning, provisioning
// PDUs: Mesh Profile 1.0.1 §5.2.1, §5.3, §5.4.1; DSS request/response bodies) and a hex dump.
//
// Event text comes from the device and the network, so it is never put into the page as HTML: the
// events travel as JSON inside <script type="application/json"> (with <, >, & and U+2028/9 escaped)
// and the page builds its DOM with textContent only. A Content-Security-Policy forbids any fetch.

import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { SimEvent } from './timeline';

// ---- what the page needs of a run (a RunReport fits) ----

export interface TraceRun {
  scenario: { name: string; description?: string; file?: string; seed?: number; expect?: { outcome?: string } };
  ok: boolean;
  outcome: string;
  failures: string[];
  events: SimEvent[];
  virtualMs: number;
  realMs?: number;
  stop?: string;
  /** device time and the JsVars per stage measured on the interpreter (RunReport.cpu) */
  cpu?: {
    spec: { name: string; factor: number };
    boards: Record<string, { total: number; byKind: Record<string, number> }>;
    memory?: { total: number; stages: Array<{ stage: string; jsVars: number; note: string }> } | null;
    lane?: { file: string; date: string; bootJsVars?: number | null; flows: Array<{ flow: string; peakJsVars: number | null; longestBlockMs: number | null; outcome: string }> } | null;
  } | null;
}

export interface TraceOptions {
  /** seed the run used (default scenario.seed) */
  seed?: number;
  /** the command that reproduces the run (shown in the header) */
  command?: string;
  /** most boards drawn as lanes (fleets: the rest are left out, and the header says so) */
  maxBoards?: number;
}

// ---- decoding ----

const PDU_NAMES = ['Invite', 'Capabilities', 'Start', 'Public Key', 'Input Complete', 'Confirmation', 'Random', 'Data',
  'Complete', 'Failed', 'Record Request', 'Record Response', 'Records Get', 'Records List'];
const FAILED = ['Prohibited', 'Invalid PDU', 'Invalid Format', 'Unexpected PDU', 'Confirmation Failed', 'Out of Resources',
  'Decryption Failed', 'Unexpected Error', 'Cannot Assign Addresses', 'Invalid Data'];
const BEARER_OPS = ['Link Open', 'Link ACK', 'Link Close'];
const CLOSE_REASONS = ['Success', 'Timeout', 'Fail'];
const AD_TYPES: Record<number, string> = { 0x29: 'PB-ADV', 0x2a: 'Mesh Message', 0x2b: 'Mesh Beacon', 0x01: 'Flags', 0x03: 'Complete 16-bit UUIDs', 0x16: 'Service Data' };

const hex = (b: Uint8Array, from = 0, to = b.length) => Buffer.from(b.subarray(from, to)).toString('hex');
const h16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const x = (n: number, w = 2) => '0x' + n.toString(16).padStart(w, '0');

/** A provisioning PDU (Mesh Profile §5.4.1): its spec name and fields. */
export function decodeProvisioningPdu(p: Uint8Array): Record<string, unknown> {
  if (p.length === 0) return { error: 'empty PDU' };
  const type = p[0] & 0x3f;
  const out: Record<string, unknown> = { 'PDU type': `${x(type)} ${PDU_NAMES[type] ?? 'RFU'}` };
  if (p[0] & 0xc0) out.padding = `${x(p[0] >> 6, 1)} (must be 0)`;
  const body = p.subarray(1);
  const need = (n: number) => {
    if (body.length !== n) out.length = `${body.length} bytes of parameters (the spec says ${n})`;
    return body.length >= n;
  };
  switch (type) {
    case 0: if (need(1)) out['Attention Duration'] = `${body[0]} s`; break;
    case 1:
      if (need(11)) {
        out['Number of Elements'] = body[0];
        out.Algorithms = x(h16(body, 1), 4) + ((h16(body, 1) & 1) ? ' (P-256/CMAC-AES128' : ' (') + ((h16(body, 1) & 2) ? ', P-256/HMAC-SHA256)' : ')');
        out['Public Key Type'] = x(body[3]) + (body[3] & 1 ? ' (OOB public key)' : ' (no OOB public key)');
        out['Static OOB Type'] = x(body[4]) + (body[4] & 1 ? ' (static OOB available)' : ' (none)');
        out['Output OOB Size'] = body[5];
        out['Output OOB Action'] = x(h16(body, 6), 4);
        out['Input OOB Size'] = body[8];
        out['Input OOB Action'] = x(h16(body, 9), 4);
      }
      break;
    case 2:
      if (need(5)) {
        out.Algorithm = `${body[0]} (${['P-256/CMAC-AES128', 'P-256/HMAC-SHA256'][body[0]] ?? 'RFU'})`;
        out['Public Key'] = `${body[1]} (${['no OOB public key', 'OOB public key'][body[1]] ?? 'prohibited'})`;
        out['Authentication Method'] = `${body[2]} (${['no OOB', 'static OOB', 'output OOB', 'input OOB'][body[2]] ?? 'prohibited'})`;
        out['Authentication Action'] = body[3];
        out['Authentication Size'] = body[4];
      }
      break;
    case 3:
      if (need(64)) {
        out['Public Key X'] = hex(body, 0, 32);
        out['Public Key Y'] = hex(body, 32, 64);
      }
      break;
    case 5: case 6:
      if (body.length !== 16 && body.length !== 32) out.length = `${body.length} bytes (16 for CMAC, 32 for HMAC)`;
      out[type === 5 ? 'Confirmation' : 'Random'] = hex(body);
      break;
    case 7:
      if (need(33)) {
        out['Encrypted Provisioning Data'] = hex(body, 0, 25);
        out['Provisioning Data MIC'] = hex(body, 25, 33);
      }
      break;
    case 4: case 8: need(0); break;
    case 9: if (need(1)) out['Error Code'] = `${x(body[0])} ${FAILED[body[0]] ?? 'RFU'}`; break;
    default: if (body.length) out.parameters = hex(body);
  }
  return out;
}

/** PB-ADV frame check sequence (Mesh Profile §5.3.1.1: 3GPP TS 27.010 CRC-8, polynomial x^8+x^2+x+1). */
export function pbAdvFcs(data: Uint8Array): number {
  let crc = 0xff;
  for (let i = 0; i < data.length; i++) {
    crc ^= data[i];
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xe0 : crc >>> 1;
  }
  return 0xff - crc;
}

/** A Generic Provisioning PDU (§5.3.1): control field, and the provisioning PDU when it is complete. */
export function decodeGenericProvisioning(g: Uint8Array): Record<string, unknown> {
  if (g.length === 0) return { error: 'empty Generic Provisioning PDU' };
  const gpcf = g[0] & 3;
  const hi = g[0] >> 2;
  if (gpcf === 0) {
    const out: Record<string, unknown> = { GPCF: '0b00 Transaction Start', SegN: hi };
    if (g.length < 4) return { ...out, error: 'too short for a Transaction Start' };
    out['Total Length'] = h16(g, 1);
    out.FCS = x(g[3]);
    const data = g.subarray(4);
    if (hi === 0 && data.length === h16(g, 1)) {
      const want = pbAdvFcs(data);
      out.FCS = x(g[3]) + (want === g[3] ? ' (matches)' : ` (WRONG: the PDU gives ${x(want)})`);
      out['Provisioning PDU'] = decodeProvisioningPdu(data);
    }
    else out['first segment'] = hex(data);
    return out;
  }
  if (gpcf === 1) return { GPCF: '0b01 Transaction Acknowledgment', padding: hi };
  if (gpcf === 2) return { GPCF: '0b10 Transaction Continuation', 'Segment Index': hi, segment: hex(g, 1) };
  const out: Record<string, unknown> = { GPCF: '0b11 Provisioning Bearer Control', 'Bearer Opcode': `${x(hi)} ${BEARER_OPS[hi] ?? 'RFU'}` };
  if (hi === 0) out['Device UUID'] = hex(g, 1);
  else if (hi === 2) out.Reason = `${x(g[1] ?? 0)} ${CLOSE_REASONS[g[1]] ?? 'RFU'}`;
  return out;
}

/** Advertising data (length, AD type, data)*: PB-ADV (§5.2.1) and Mesh Beacon (§3.9) decoded. */
export function decodeAdvertising(b: Uint8Array): Record<string, unknown> {
  const ads: Record<string, unknown>[] = [];
  for (let i = 0; i < b.length;) {
    const len = b[i];
    if (len === 0) break;
    if (i + 1 + len > b.length) {
      ads.push({ error: `AD structure at byte ${i} claims ${len} bytes, only ${b.length - i - 1} left` });
      break;
    }
    const type = b[i + 1];
    const d = b.subarray(i + 2, i + 1 + len);
    const ad: Record<string, unknown> = { 'AD type': `${x(type)} ${AD_TYPES[type] ?? ''}`.trim() };
    if (type === 0x29 && d.length >= 6) {
      ad['Link ID'] = x((d[0] * 0x1000000) + ((d[1] << 16) | (d[2] << 8) | d[3]), 8);
      ad['Transaction Number'] = x(d[4]);
      ad['Generic Provisioning PDU'] = decodeGenericProvisioning(d.subarray(5));
    } else if (type === 0x2b && d.length >= 1) {
      ad['Beacon Type'] = d[0] === 0 ? '0x00 Unprovisioned Device beacon' : d[0] === 1 ? '0x01 Secure Network beacon' : x(d[0]);
      if (d[0] === 0 && d.length >= 19) {
        ad['Device UUID'] = hex(d, 1, 17);
        ad['OOB Information'] = x(h16(d, 17), 4);
        if (d.length >= 23) ad['URI Hash'] = hex(d, 19, 23);
      }
    } else ad.data = hex(d);
    ads.push(ad);
    i += 1 + len;
  }
  return ads.length === 1 ? ads[0] : { 'AD structures': ads };
}

/** One line for a bearer packet: "PB-ADV link 0x62d94971 txn 0x00: Transaction Start (Invite)". */
export function summariseAdvertising(b: Uint8Array): string {
  const d = decodeAdvertising(b) as Record<string, any>;
  const g = d['Generic Provisioning PDU'] as Record<string, any> | undefined;
  if (!g) return String(d['AD type'] ?? 'advertising data') + (d['Beacon Type'] ? ': ' + d['Beacon Type'].replace(/^0x\w+ /, '') : '');
  const gp = String(g.GPCF ?? '').replace(/^0b\d+ /, '');
  const what = g['Bearer Opcode'] ? String(g['Bearer Opcode']).replace(/^0x\w+ /, '') + (g.Reason ? ` (${String(g.Reason).replace(/^0x\w+ /, '')})` : '')
    : g['Provisioning PDU'] ? `${gp} (${String(g['Provisioning PDU']['PDU type']).replace(/^0x\w+ /, '')})`
      : g.SegN !== undefined ? `${gp}, ${g.SegN + 1} segments` : g['Segment Index'] !== undefined ? `${gp} ${g['Segment Index']}` : gp;
  return `txn ${d['Transaction Number']}: ${what}`;
}

function parseJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** What the page shows under "decoded" for one event (undefined: nothing to decode). */
export function decodeEvent(e: SimEvent): Record<string, unknown> | undefined {
  const bytes = e.bytes && /^(?:[0-9a-f]{2})*$/i.test(e.bytes) ? Buffer.from(e.bytes, 'hex') : undefined;
  try {
    if (e.actor === 'air' && e.kind === 'adv' && bytes) return decodeAdvertising(bytes);
    if (e.actor === 'echo' && e.kind === 'pdu' && bytes) return decodeProvisioningPdu(bytes);
    // a log line the firmware printed as a short code (build/logcodes.mjs), put back in words by the board
    if (e.actor === 'device' && e.fields && typeof e.fields.wire === 'string') {
      const out: Record<string, unknown> = { 'printed by the device': e.fields.wire };
      if (typeof e.fields.logNote === 'string') out['not decoded'] = e.fields.logNote;
      else out['decoded with'] = 'the build\'s log dictionary (dist/<bundle>.logs.json)';
      return out;
    }
    if (e.actor === 'dss' && e.kind === 'http' && e.fields) {
      const f = e.fields;
      const out: Record<string, unknown> = {};
      if (f.op !== undefined) out.operation = f.op;
      if (f.status !== undefined) out.status = f.status;
      if (f.signed !== undefined) out['response signature'] = f.signed;
      if (f.request !== undefined) out['request body'] = parseJson(f.request);
      if (f.response !== undefined) out['response body'] = parseJson(f.response);
      return out;
    }
  } catch (err) {
    return { error: `could not decode: ${(err as Error).message}` };
  }
  return undefined;
}

// ---- the diagram model ----

export interface Lane { id: string; label: string; sub?: string }

export interface Row {
  /** index into events */
  i: number;
  t: number;
  /** lane index of the sender (arrows) or of the note */
  from: number;
  /** lane index of the receiver; undefined = a note on `from`; -1 = a banner over every lane */
  to?: number;
  /** msg | bearer | exchange | io | log | state | fault | outcome | power | storage | note | banner */
  cls: string;
  label: string;
  level?: string;
  /** filter group: messages | bearer | logs | debug | storage | io | faults | world */
  group: string;
}

const WORLD_ORDER: Array<[string, string, string]> = [
  ['wifi', 'Wi-Fi / APs', 'access points'],
  ['provisioner', 'Provisioner', 'Amazon provisioner'],
  ['dss', 'DSS', 'Device Setup Service'],
  ['phone', 'Phone', "customer's phone"],
  ['air', 'Air', 'BLE advertising'],
  ['echo', 'Echo', 'mesh provisioner'],
];
const BOARD_ACTORS = new Set(['device', 'storage', 'tls', 'net', 'http', 'ble', 'sim']);

export function buildModel(events: SimEvent[], maxBoards = 6): { lanes: Lane[]; rows: Row[]; boards: string[]; hiddenBoards: number } {
  const allBoards = [...new Set(events.map((e) => e.board).filter((b): b is string => !!b))]
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const boards = allBoards.slice(0, maxBoards);
  const single = boards.length <= 1;
  const lanes: Lane[] = [];
  const laneOf = new Map<string, number>();
  const add = (id: string, label: string, sub?: string) => {
    laneOf.set(id, lanes.length);
    lanes.push({ id, label, sub });
  };
  const hasStorage = single && events.some((e) => e.actor === 'storage');
  if (hasStorage) add('storage', 'Storage', 'flash');
  if (boards.length === 0) add('device', 'Device', '');
  for (const b of boards) add('board:' + b, single ? 'Device' : b, single ? b : 'device');
  const actors = new Set(events.map((e) => e.actor));
  for (const [id, label, sub] of WORLD_ORDER) if (actors.has(id)) add(id, label, sub);
  for (const a of [...actors].sort()) if (!laneOf.has(a) && !BOARD_ACTORS.has(a)) add(a, a, '');

  const firstBoard = boards[0];
  const boardLane = (b?: string) => laneOf.get('board:' + (b ?? firstBoard)) ?? laneOf.get('device') ?? 0;
  let meshPeer = firstBoard; // the board the Echo is talking to (echo events carry no board id)
  const rows: Row[] = [];
  events.forEach((e, i) => {
    if (e.board && !boards.includes(e.board)) return;
    const s = e.summary;
    const dev = boardLane(e.board);
    const row = (from: number, to: number | undefined, cls: string, group: string, label = s, level?: string) =>
      rows.push({ i, t: e.t, from, to, cls, label, group, level });
    const world = laneOf.get(e.actor);
    const mentioned = /\b(dev\d+)\b/.exec(s);
    if (e.actor === 'echo' && mentioned && boards.includes(mentioned[1])) meshPeer = mentioned[1];
    switch (e.actor) {
      case 'device': {
        if (e.kind === 'log') {
          const level = typeof e.fields?.level === 'string' ? e.fields.level : 'info';
          const msg = typeof e.fields?.message === 'string' ? e.fields.message : s;
          const isState = /^state\b|->|\bprovisioned\b|joined|connected to/.test(msg);
          row(dev, undefined, isState && level !== 'debug' ? 'state' : 'log', level === 'debug' ? 'debug' : 'logs', s, level);
        } else if (e.kind === 'uncaught') row(dev, undefined, 'fault', 'faults');
        else if (e.kind === 'power' || e.kind === 'boot') row(dev, undefined, 'power', 'logs', `${e.kind}: ${s}`);
        else row(dev, undefined, 'note', 'logs', `${e.kind}: ${s}`);
        return;
      }
      case 'storage': {
        const cls = e.kind === 'fault' ? 'fault' : 'storage';
        if (hasStorage) row(dev, laneOf.get('storage')!, cls, cls === 'fault' ? 'faults' : 'storage', `${e.kind} ${s}`);
        else row(dev, undefined, cls, cls === 'fault' ? 'faults' : 'storage', `storage ${e.kind} ${s}`);
        return;
      }
      case 'sim': {
        const cls = e.kind === 'fault' || e.kind === 'missing' || e.kind === 'error' ? 'fault' : e.kind === 'outcome' ? 'outcome' : 'note';
        const label = e.kind === 'outcome' ? `outcome: ${s}` : `${e.kind}: ${s}`;
        if (e.board) row(dev, undefined, cls, cls === 'fault' ? 'faults' : 'logs', label);
        else row(0, -1, cls === 'note' ? 'banner' : cls, cls === 'fault' ? 'faults' : 'logs', label);
        return;
      }
      case 'tls': case 'net': case 'http': case 'ble':
        row(dev, undefined, e.kind === 'fail' || e.kind === 'error' ? 'fault' : 'io', 'io', `${e.actor} ${e.kind}: ${s}`);
        return;
      case 'wifi': {
        if (!e.board || world === undefined) return void row(world ?? 0, undefined, 'note', 'world', `${e.kind}: ${s}`);
        const outbound = /^(joining|directed probe|scan started|left|leaving)/.test(s);
        const bad = /fail|refused|unreachable|no answer/i.test(s);
        if (outbound) row(dev, world, 'msg', 'messages', `${e.kind}: ${s}`);
        else row(world, dev, bad ? 'msg bad' : 'msg', 'messages', `${e.kind}: ${s}`);
        return;
      }
      case 'dss': {
        const lane = world!;
        if (e.kind === 'http') row(boardLane(), lane, /-> [45]\d\d/.test(s) ? 'exchange bad' : 'exchange', 'messages', s.replace(/^:\d+ /, ''));
        else if (e.kind === 'tls') row(boardLane(), lane, /refused|failed/.test(s) ? 'io bad' : 'io', 'io', `TLS ${s.replace(/^:\d+ /, '')}`);
        else if (e.kind === 'fault' || e.kind === 'reject' || e.kind === 'error') row(lane, undefined, 'fault', 'faults', `${e.kind}: ${s}`);
        else if (e.kind === 'state') row(lane, undefined, 'state', 'world', s);
        else row(lane, undefined, 'note', 'world', `${e.kind}: ${s}`);
        return;
      }
      case 'provisioner':
        if (e.kind === 'probe') row(boardLane(), world!, 'msg', 'messages', `probe: ${s}`);
        else row(world!, undefined, 'note', 'world', `${e.kind}: ${s}`);
        return;
      case 'phone':
        if (e.board) row(world!, dev, e.kind === 'softap' ? 'msg bad' : 'msg', 'messages', `${e.kind}: ${s}`);
        else row(world!, undefined, 'note', 'world', `${e.kind}: ${s}`);
        return;
      case 'echo': {
        const peer = boardLane(meshPeer);
        const m = /^(tx|rx) (.*)$/.exec(s);
        if (e.kind === 'pdu' && m) {
          const bad = /Failed/.test(m[2]);
          if (m[1] === 'tx') row(world!, peer, bad ? 'msg bad' : 'msg', 'messages', m[2]);
          else row(peer, world!, bad ? 'msg bad' : 'msg', 'messages', m[2]);
        } else if (e.kind === 'fault' || e.kind === 'warn') row(world!, undefined, 'fault', 'faults', `${e.kind}: ${s}`);
        else if (e.kind === 'state' || e.kind === 'check') row(world!, undefined, /NOT|failed|ended/.test(s) ? 'fault' : 'state', 'world', `${e.kind}: ${s}`);
        else row(world!, undefined, 'note', 'world', `${e.kind}: ${s}`);
        return;
      }
      case 'air': {
        const m = /^(\S+) (.*)$/.exec(s);
        if (e.kind === 'adv' && m) {
          const echo = laneOf.get('echo');
          const fromBoard = boards.includes(m[1]);
          let label = s;
          if (e.bytes && /^(?:[0-9a-f]{2})+$/i.test(e.bytes)) label = `${m[1]} ${summariseAdvertising(Buffer.from(e.bytes, 'hex'))}`;
          if (fromBoard) row(boardLane(m[1]), echo ?? world!, 'bearer', 'bearer', label);
          else row(laneOf.get(m[1]) ?? world!, boardLane(meshPeer), 'bearer', 'bearer', label);
        } else row(world!, undefined, 'note', 'world', `${e.kind}: ${s}`);
        return;
      }
      default:
        row(world ?? dev, undefined, /fault|error|fail/.test(e.kind) ? 'fault' : 'note', 'world', `${e.actor} ${e.kind}: ${s}`);
    }
  });
  return { lanes, rows, boards, hiddenBoards: allBoards.length - boards.length };
}

// ---- the page ----

/** JSON that is safe inside <script type="application/json"> (no </script>, no <!--, no line separators). */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderTrace(run: TraceRun, opts: TraceOptions = {}): string {
  const { lanes, rows, boards, hiddenBoards } = buildModel(run.events, opts.maxBoards);
  const events = run.events.map((e) => {
    const decoded = decodeEvent(e);
    const hexOk = typeof e.bytes === 'string' && /^(?:[0-9a-f]{2})*$/i.test(e.bytes);
    const fields = e.bytes !== undefined && !hexOk ? { ...e.fields, 'bytes (not hex)': String(e.bytes) } : e.fields;
    return { t: e.t, actor: e.actor, kind: e.kind, summary: e.summary, board: e.board, fields, bytes: hexOk && e.bytes ? e.bytes.toLowerCase() : undefined, decoded };
  });
  const meta = {
    name: run.scenario.name,
    description: run.scenario.description ?? '',
    file: run.scenario.file ? path.relative(process.cwd(), run.scenario.file) : '',
    seed: opts.seed ?? run.scenario.seed,
    ok: run.ok,
    outcome: run.outcome,
    expected: run.scenario.expect?.outcome ?? '',
    failures: run.failures,
    virtualMs: run.virtualMs,
    realMs: run.realMs,
    stop: run.stop ?? '',
    command: opts.command ?? '',
    boards,
    hiddenBoards,
    generated: new Date().toISOString(),
    cpu: run.cpu ? {
      label: run.cpu.spec.name === 'factor' ? `${run.cpu.spec.factor}x the real interpreter` : `--cpu ${run.cpu.spec.name} (${run.cpu.spec.factor}x the real interpreter)`,
      busy: Object.entries(run.cpu.boards).map(([b, st]) => `${b} ${(st.total / 1000).toFixed(1)} s`).join(', '),
    } : null,
    memory: run.cpu?.memory ?? null,
    lane: run.cpu?.lane ?? null,
  };
  const title = `${run.ok ? 'PASS' : 'FAIL'} ${run.scenario.name} — simulator trace`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<noscript>This trace page draws its diagram with JavaScript; the raw events are in the script element named "trace-data".</noscript>
<header id="head"></header>
<div id="legend"></div>
<div id="sticky"><div id="controls"></div></div>
<main id="diagram" aria-label="sequence diagram"></main>
<script type="application/json" id="trace-data">${scriptJson({ meta, lanes, rows, events })}</script>
<script>${JS}</script>
</body>
</html>
`;
}

/** Write the page for a run; returns the path written. */
export function writeTrace(file: string, run: TraceRun, opts: TraceOptions = {}): string {
  const out = path.resolve(file);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, renderTrace(run, opts));
  return out;
}

const CSS = `
:root { --bg:#fbfbfd; --fg:#1d2330; --muted:#6b7385; --line:#d5d9e3; --life:#c3c9d6; --msg:#2456c7; --bearer:#9aa3b5;
  --exchange:#0b7a55; --io:#7a6a9e; --state:#7b3fb5; --fault:#c62828; --outcome:#1b7f3b; --storage:#9a5b00; --power:#37474f;
  --lanew: 0px; --timew: 86px; }
* { box-sizing: border-box; }
body { margin:0; font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color:var(--fg); background:var(--bg); }
header { padding:14px 18px 8px; border-bottom:1px solid var(--line); background:#fff; }
header h1 { margin:0 0 4px; font-size:18px; display:flex; align-items:center; gap:10px; flex-wrap:wrap; }
.badge { font-size:12px; padding:2px 8px; border-radius:10px; color:#fff; font-weight:600; letter-spacing:.04em; }
.badge.pass { background:var(--outcome); } .badge.fail { background:var(--fault); }
.desc { color:var(--muted); margin:2px 0 6px; max-width:1100px; }
.facts { display:flex; flex-wrap:wrap; gap:4px 18px; color:var(--fg); }
.facts b { color:var(--muted); font-weight:500; margin-right:4px; }
.failures { margin:6px 0 0; padding-left:18px; color:var(--fault); }
.memory { margin:6px 0 0; display:flex; flex-wrap:wrap; gap:4px 16px; align-items:center; }
.memory b { color:var(--muted); font-weight:500; }
.memitem { display:inline-flex; align-items:center; gap:6px; }
.membar { display:inline-block; width:80px; height:8px; border:1px solid var(--line); border-radius:3px; background:#fff; }
.membar i { display:block; height:100%; background:var(--storage); }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size:12px; }
#sticky { position:sticky; top:0; z-index:5; background:#f1f3f8; box-shadow:0 1px 3px rgba(0,0,0,.06); }
#controls { display:flex; flex-wrap:wrap; align-items:center; gap:6px 14px; padding:7px 18px;
  background:#f1f3f8; border-bottom:1px solid var(--line); }
#controls input[type=search] { width:260px; padding:4px 8px; border:1px solid var(--line); border-radius:6px; font:inherit; }
#controls label { white-space:nowrap; cursor:pointer; user-select:none; }
#controls .count { color:var(--muted); margin-left:auto; }
#controls button { font:inherit; padding:3px 9px; border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; }
#legend { display:flex; flex-wrap:wrap; gap:4px 16px; padding:6px 18px; color:var(--muted); border-bottom:1px solid var(--line); background:#fff; }
#legend span.k { display:inline-flex; align-items:center; gap:6px; }
.sw { display:inline-block; width:26px; height:0; border-top:2px solid; vertical-align:middle; }
.sw.box { width:14px; height:12px; border:1px solid; border-radius:3px; }
#diagram { position:relative; padding:0 0 40px; min-width:900px; }
#sticky { min-width:900px; }
.lanes { display:flex; background:#fbfbfd; border-bottom:1px solid var(--line); padding-left:var(--timew); }
.lanehead { flex:1; text-align:center; padding:6px 2px 5px; min-width:0; }
.lanehead b { display:inline-block; padding:3px 10px; border:1px solid var(--life); border-radius:6px; background:#fff; font-size:12.5px; }
.lanehead small { display:block; color:var(--muted); font-size:11px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.lifelines { position:absolute; top:0; bottom:0; left:var(--timew); right:0; pointer-events:none; }
.lifelines i { position:absolute; top:0; bottom:0; border-left:1.5px dashed var(--life); }
.row { position:relative; display:flex; flex-wrap:wrap; min-height:22px; cursor:pointer; }
.row:hover { background:rgba(36,86,199,.06); }
.row.open { background:rgba(36,86,199,.09); }
.row .t { width:var(--timew); flex:none; text-align:right; padding:3px 10px 0 0; color:var(--muted); font-variant-numeric:tabular-nums; font-size:11.5px; }
.row .area { position:relative; flex:1; min-height:22px; }
.arrow { position:absolute; top:15px; height:0; border-top:1.6px solid var(--msg); }
.arrow::after { content:""; position:absolute; top:-5.5px; border:5px solid transparent; }
.arrow.r::after { right:-2px; border-left:8px solid var(--msg); border-right:0; }
.arrow.l::after { left:-2px; border-right:8px solid var(--msg); border-left:0; }
.arrow.x::before { content:""; position:absolute; top:-5.5px; left:-2px; border:5px solid transparent; border-right:8px solid var(--exchange); border-left:0; }
.arrow .lbl { position:absolute; bottom:1px; left:0; min-width:100%; width:max-content; max-width:min(70vw, 900px); text-align:center; white-space:nowrap;
  overflow:hidden; text-overflow:ellipsis; padding:0 8px; color:var(--msg); }
.arrow.short .lbl { text-align:left; background:linear-gradient(90deg, transparent, rgba(251,251,253,.9) 12px); }
.bearer .arrow { border-top:1px dashed var(--bearer); } .bearer .arrow .lbl { color:var(--bearer); font-size:11.5px; }
.bearer .arrow.r::after { border-left-color:var(--bearer); } .bearer .arrow.l::after { border-right-color:var(--bearer); }
.exchange .arrow { border-top-color:var(--exchange); } .exchange .arrow .lbl { color:var(--exchange); font-weight:500; }
.exchange .arrow.r::after { border-left-color:var(--exchange); }
.io .arrow { border-top:1px dotted var(--io); } .io .arrow .lbl { color:var(--io); font-size:11.5px; } .io .arrow.r::after { border-left-color:var(--io); }
.storage .arrow { border-top-color:var(--storage); } .storage .arrow .lbl { color:var(--storage); }
.storage .arrow.r::after { border-left-color:var(--storage); } .storage .arrow.l::after { border-right-color:var(--storage); }
.row.bad .arrow, .fault .arrow { border-top-color:var(--fault); } .row.bad .arrow .lbl, .fault .arrow .lbl { color:var(--fault); }
.row.bad .arrow.r::after, .fault .arrow.r::after { border-left-color:var(--fault); } .row.bad .arrow.l::after, .fault .arrow.l::after { border-right-color:var(--fault); }
.nb { position:absolute; top:2px; max-width:min(62%, 720px); padding:1px 7px; border-radius:4px; white-space:nowrap; overflow:hidden; text-overflow:ellipsis;
  background:#fff; border:1px solid var(--line); }
.log .nb { border-color:transparent; background:transparent; color:#333c4e; }
.log.debug .nb { color:#8b93a5; } .log.warn .nb { color:#a05a00; } .log.error .nb { color:var(--fault); font-weight:600; }
.state .nb { border-color:var(--state); color:var(--state); background:#f7f1fc; font-weight:500; }
.fault .nb { border-color:var(--fault); color:#fff; background:var(--fault); font-weight:600; }
.outcome .nb { border-color:var(--outcome); color:#fff; background:var(--outcome); font-weight:600; }
.power .nb { border-color:var(--power); color:var(--power); background:#eceff1; }
.io .nb { border-color:transparent; background:transparent; color:var(--io); font-size:11.5px; }
.storage .nb { border-color:var(--storage); color:var(--storage); }
.banner .nb, .row.wide .nb { left:4px !important; right:4px; max-width:none; text-align:center; transform:none !important; }
.banner .nb { background:#eef0f5; color:var(--muted); }
.more { position:absolute; right:6px; top:3px; color:var(--muted); font-size:11px; }
.detail { flex:0 0 calc(100% - var(--timew) - 12px); margin:2px 12px 10px var(--timew); padding:10px 12px; background:#fff; border:1px solid var(--line); border-radius:6px; cursor:auto; }
.detail details { margin-top:8px; } .detail summary { cursor:pointer; color:var(--muted); }
.detail h3 { margin:0 0 6px; font-size:13px; } .detail h4 { margin:10px 0 4px; font-size:12px; color:var(--muted); text-transform:uppercase; letter-spacing:.05em; }
.detail .full { white-space:pre-wrap; word-break:break-word; }
table.kv { border-collapse:collapse; } table.kv td { border-top:1px solid #eef0f4; padding:2px 10px 2px 0; vertical-align:top; }
table.kv td.k { color:var(--muted); white-space:nowrap; } table.kv td.v { word-break:break-all; }
pre.hex { margin:0; padding:6px 8px; background:#f6f7fa; border-radius:4px; overflow:auto; }
.hidden { display:none !important; }
mark { background:#ffe58a; padding:0; }
`;

// The page script: builds the DOM from the JSON data with textContent only (never innerHTML).
const JS = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  var meta = data.meta, lanes = data.lanes, rows = data.rows, events = data.events;
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = String(text); return e; }
  function secs(ms) { return (ms / 1000).toFixed(3) + ' s'; }
  function evText(e) { return (e.board ? e.board + ' ' : '') + e.actor + ' ' + e.kind + ' ' + e.summary; }

  // header
  var head = document.getElementById('head');
  var h1 = el('h1');
  h1.appendChild(el('span', 'badge ' + (meta.ok ? 'pass' : 'fail'), meta.ok ? 'PASS' : 'FAIL'));
  h1.appendChild(el('span', '', meta.name));
  head.appendChild(h1);
  if (meta.description) head.appendChild(el('div', 'desc', meta.description));
  var facts = el('div', 'facts');
  function fact(k, v) { if (v === undefined || v === '' || v === null) return; var s = el('span'); s.appendChild(el('b', '', k)); s.appendChild(document.createTextNode(String(v))); facts.appendChild(s); }
  fact('outcome', meta.outcome + (meta.expected ? ' (expected ' + meta.expected + ')' : ''));
  fact('seed', meta.seed);
  fact('virtual time', secs(meta.virtualMs));
  if (meta.realMs !== undefined) fact('real time', meta.realMs + ' ms');
  fact('stopped', meta.stop);
  fact('events', events.length);
  fact('boards', meta.boards.join(', ') + (meta.hiddenBoards ? ' (+' + meta.hiddenBoards + ' more not drawn)' : ''));
  fact('scenario file', meta.file);
  fact('replay', meta.command);
  if (meta.cpu) fact('device time', meta.cpu.label + (meta.cpu.busy ? '; computing ' + meta.cpu.busy : ''));
  head.appendChild(facts);
  if (meta.memory && meta.memory.stages.length) {
    // JsVars per stage, measured on the real interpreter (sim/cpu/calibration.json): where memory goes
    var mem = el('div', 'memory');
    mem.appendChild(el('b', '', 'memory per stage (JsVars of ' + meta.memory.total + ', measured on the interpreter): '));
    meta.memory.stages.forEach(function (m) {
      var bar = el('span', 'membar'); bar.title = m.note;
      var fill = el('i'); fill.style.width = Math.max(1, Math.round(100 * m.jsVars / meta.memory.total)) + '%'; bar.appendChild(fill);
      var item = el('span', 'memitem'); item.appendChild(document.createTextNode(m.stage + ' ' + (m.stage === 'boot' ? '' : '+') + m.jsVars + ' ')); item.appendChild(bar);
      mem.appendChild(item);
    });
    head.appendChild(mem);
  }
  if (meta.lane && meta.lane.flows.length) {
    // whole flows on the real interpreter (the Espruino lane, tools/espruino/measurements)
    var lane = el('div', 'memory');
    lane.appendChild(el('b', '', 'flows on the interpreter (' + meta.lane.file + ', ' + meta.lane.date.slice(0, 10) + '): '));
    if (typeof meta.lane.bootJsVars === 'number') lane.appendChild(el('span', 'memitem', 'booted board ' + meta.lane.bootJsVars + ' JsVars'));
    meta.lane.flows.forEach(function (f) {
      lane.appendChild(el('span', 'memitem', f.flow + ': peak ' + (f.peakJsVars === null ? '?' : f.peakJsVars) + ' JsVars' +
        (f.longestBlockMs === null ? '' : ', longest block ' + f.longestBlockMs + ' ms') + ' (' + f.outcome + ')'));
    });
    head.appendChild(lane);
  }
  if (meta.failures.length) {
    var ul = el('ul', 'failures');
    meta.failures.forEach(function (f) { ul.appendChild(el('li', '', f)); });
    head.appendChild(ul);
  }

  // controls
  var controls = document.getElementById('controls');
  var search = el('input'); search.type = 'search'; search.placeholder = 'search events (text, actor, kind, field)…'; search.setAttribute('aria-label', 'search');
  controls.appendChild(search);
  var groups = [['messages', 'messages', true], ['bearer', 'bearer packets', true], ['io', 'TLS / sockets', true], ['logs', 'device log', true],
    ['debug', 'debug lines', true], ['storage', 'storage', true], ['world', 'world notes', true], ['faults', 'faults', true]];
  var show = {};
  groups.forEach(function (g) {
    if (!rows.some(function (r) { return r.group === g[0]; })) return;
    show[g[0]] = g[2];
    var lab = el('label'); var cb = el('input'); cb.type = 'checkbox'; cb.checked = g[2]; cb.dataset.group = g[0];
    cb.addEventListener('change', function () { show[g[0]] = cb.checked; apply(); });
    lab.appendChild(cb); lab.appendChild(document.createTextNode(' ' + g[1])); controls.appendChild(lab);
  });
  var expandAll = el('button', '', 'expand all'); var collapseAll = el('button', '', 'collapse all');
  controls.appendChild(expandAll); controls.appendChild(collapseAll);
  var count = el('span', 'count'); controls.appendChild(count);

  // legend
  var legend = document.getElementById('legend');
  [['--msg', 'protocol message'], ['--exchange', 'HTTPS request ⇄ response'], ['--bearer', 'bearer packet (PB-ADV)', 'dashed'], ['--io', 'TLS / socket', 'dotted'],
   ['--storage', 'storage write'], ['--state', 'state change', 'box'], ['--fault', 'fault / error', 'box'], ['--outcome', 'outcome', 'box'], ['--power', 'power / boot', 'box']]
    .forEach(function (l) {
      var k = el('span', 'k'); var sw = el('span', 'sw' + (l[2] === 'box' ? ' box' : ''));
      sw.style.borderColor = 'var(' + l[0] + ')'; if (l[2] === 'dashed' || l[2] === 'dotted') sw.style.borderTopStyle = l[2];
      k.appendChild(sw); k.appendChild(document.createTextNode(l[1])); legend.appendChild(k);
    });
  legend.appendChild(el('span', 'k', 'click a row for its fields, decoded PDU and bytes'));

  // diagram
  var diagram = document.getElementById('diagram');
  var n = lanes.length;
  function centre(i) { return (i + 0.5) * 100 / n; }
  var lifelines = el('div', 'lifelines');
  lanes.forEach(function (l, i) { var line = el('i'); line.style.left = centre(i) + '%'; lifelines.appendChild(line); });
  diagram.appendChild(lifelines);
  var lh = el('div', 'lanes');
  lanes.forEach(function (l) { var d = el('div', 'lanehead'); d.appendChild(el('b', '', l.label)); d.appendChild(el('small', '', l.sub || ' ')); lh.appendChild(d); });
  document.getElementById('sticky').appendChild(lh);

  var areaW = Math.max(600, diagram.clientWidth - 86);
  var rowEls = [];
  rows.forEach(function (r, k) {
    var e = events[r.i];
    var d = el('div', 'row ' + r.cls + (r.level ? ' ' + r.level : ''));
    d.dataset.k = k;
    d.appendChild(el('div', 't', (r.t / 1000).toFixed(3)));
    var area = el('div', 'area');
    if (r.to === -1) { d.classList.add('wide'); var b = el('div', 'nb', r.label); area.appendChild(b); }
    else if (r.to === undefined || r.to === r.from) {
      var note = el('div', 'nb', r.label);
      var c = centre(r.from);
      if (c > 62) { note.style.right = (100 - c) + '%'; note.style.transform = 'translateX(12px)'; }
      else { note.style.left = c + '%'; note.style.transform = 'translateX(-12px)'; }
      area.appendChild(note);
    } else {
      var a = el('div', 'arrow ' + (r.to > r.from ? 'r' : 'l') + (r.cls.indexOf('exchange') === 0 ? ' x' : ''));
      var lo = Math.min(r.from, r.to), hi = Math.max(r.from, r.to);
      a.style.left = centre(lo) + '%'; a.style.width = (centre(hi) - centre(lo)) + '%';
      if (hi - lo === 1 && r.label.length * 6.5 > (centre(hi) - centre(lo)) / 100 * areaW) a.classList.add('short');
      a.appendChild(el('span', 'lbl', r.label));
      area.appendChild(a);
    }
    if (e.fields || e.bytes || e.decoded) area.appendChild(el('span', 'more', '▸'));
    d.appendChild(area);
    d.title = evText(e);
    d.addEventListener('click', function (ev) { if (ev.target.closest && ev.target.closest('.detail')) return; toggle(d, r, e); });
    diagram.appendChild(d);
    rowEls.push({ el: d, r: r, e: e, text: (evText(e) + ' ' + JSON.stringify(e.fields || {}) + ' ' + JSON.stringify(e.decoded || {})).toLowerCase() });
  });

  function kv(obj, depth) {
    var t = el('table', 'kv');
    Object.keys(obj).forEach(function (k) {
      var tr = el('tr'); tr.appendChild(el('td', 'k', k)); var td = el('td', 'v mono');
      var v = obj[k];
      if (v && typeof v === 'object' && depth < 6) td.appendChild(kv(v, depth + 1));
      else td.textContent = typeof v === 'string' ? v : JSON.stringify(v);
      tr.appendChild(td); t.appendChild(tr);
    });
    return t;
  }
  function hexdump(h) {
    var out = [];
    for (var i = 0; i < h.length / 2; i += 16) {
      var line = h.slice(i * 2, Math.min(h.length, (i + 16) * 2));
      var bytes = [], ascii = '';
      for (var j = 0; j < line.length; j += 2) { var b = parseInt(line.slice(j, j + 2), 16); bytes.push(line.slice(j, j + 2)); ascii += b >= 32 && b < 127 ? String.fromCharCode(b) : '.'; }
      var hexPart = bytes.slice(0, 8).join(' ') + (bytes.length > 8 ? '  ' + bytes.slice(8).join(' ') : '');
      out.push(('0000' + i.toString(16)).slice(-4) + '  ' + (hexPart + new Array(50).join(' ')).slice(0, 49) + ' |' + ascii + '|');
    }
    return out.join('\n');
  }
  function toggle(d, r, e) {
    var open = d.querySelector('.detail');
    if (open) { open.remove(); d.classList.remove('open'); return; }
    var box = el('div', 'detail');
    box.appendChild(el('h3', '', secs(e.t) + ' · ' + (e.board ? e.board + ' · ' : '') + e.actor + ' · ' + e.kind));
    box.appendChild(el('div', 'full mono', e.summary));
    if (e.decoded) { box.appendChild(el('h4', '', 'decoded')); box.appendChild(kv(e.decoded, 0)); }
    if (e.fields && e.decoded) {
      var raw = el('details'); raw.appendChild(el('summary', '', 'raw fields')); raw.appendChild(kv(e.fields, 0)); box.appendChild(raw);
    } else if (e.fields) { box.appendChild(el('h4', '', 'fields')); box.appendChild(kv(e.fields, 0)); }
    if (e.bytes) { box.appendChild(el('h4', '', 'bytes (' + e.bytes.length / 2 + ')')); box.appendChild(el('pre', 'hex mono', hexdump(e.bytes))); }
    d.appendChild(box); d.classList.add('open');
  }
  expandAll.addEventListener('click', function () { rowEls.forEach(function (x) { if (!x.el.classList.contains('hidden') && !x.el.querySelector('.detail') && (x.e.fields || x.e.bytes || x.e.decoded)) toggle(x.el, x.r, x.e); }); });
  collapseAll.addEventListener('click', function () { rowEls.forEach(function (x) { var o = x.el.querySelector('.detail'); if (o) { o.remove(); x.el.classList.remove('open'); } }); });

  function apply() {
    var q = search.value.trim().toLowerCase(), shown = 0;
    rowEls.forEach(function (x) {
      var ok = show[x.r.group] !== false && (!q || x.text.indexOf(q) >= 0);
      x.el.classList.toggle('hidden', !ok);
      if (ok) shown++;
    });
    count.textContent = shown + ' of ' + rowEls.length + ' events';
  }
  search.addEventListener('input', apply);
  apply();
})();
`;
