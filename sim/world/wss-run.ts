// One WSS world per scenario run, shared by the world plugins `accessPoints`, `provisioner`, `dss` and
// `wss` (sim/scenario.ts registers each file's `worldPlugin`). It builds the Wi-Fi world, binds every
// board's emulated Wifi/http/tls to it, registers each device with the cloud (provisioner registry, DSS
// trust) from the same identity the flash tool writes, and reports the outcome:
//   provisioned  the DSS took a device to DONE
//   softAp       a device fell back to its own access point: FFS is off (the device logged "FFS off"
//                since its last boot) and its soft AP is up. The soft AP alone is not enough: after a
//                power cycle it runs side by side with FFS (the integration guide's "both AP and FFS")
//   wifiConnected  a device got an address on one of the scenario's networks (not a setup network)
import type { StationBoard as Board } from '../medium/wifi.ts';
import { deviceIdentity, type Scenario, type WorldContext, type WorldPlugin } from '../scenario.ts';
import { attachWssWorld, wssContext as wssContextOf } from '../medium/wifi.ts';
import { WifiWorld } from './aps.ts';
import type { DssServer } from './dss.ts';
import type { Provisioner } from './provisioner.ts';
import { makeWssPki, pkiFromIdentity, type WssPki } from './test-pki.ts';

export interface WssRun {
  world: WifiWorld;
  ready: Promise<void>;
  tlsProfile: 'stock' | 'verifying';
  tlsSockets: number;
  /** the PKI of the scenario's first device (device-type key, DHA root, intermediates) */
  pki: WssPki;
  pkiOf(boardId: string): WssPki;
  dss?: DssServer;
  provisioner?: Provisioner;
  onDevice(fn: (board: Board, pki: WssPki) => void): void;
}

const runs = new WeakMap<WorldContext, WssRun>();

function identityOf(scenario: Scenario, boardId: string): WssPki {
  return pkiFromIdentity(deviceIdentity(scenario, boardId) as any);
}

export async function wssRun(ctx: WorldContext): Promise<WssRun> {
  let run = runs.get(ctx);
  if (run) {
    await run.ready;
    return run;
  }
  const world = new WifiWorld(ctx.clock, ctx.timeline);
  const deviceHooks: Array<(b: Board, p: WssPki) => void> = [];
  const cache = new Map<string, WssPki>();
  let resolveReady!: () => void;
  const created: WssRun = {
    world,
    ready: new Promise<void>((r) => (resolveReady = r)),
    tlsProfile: 'stock',
    tlsSockets: 2,
    pki: undefined as unknown as WssPki,
    pkiOf(boardId) {
      let p = cache.get(boardId);
      if (!p) cache.set(boardId, (p = identityOf(ctx.scenario, boardId)));
      return p;
    },
    onDevice(fn) {
      deviceHooks.push(fn);
    },
  };
  run = created;
  runs.set(ctx, run);
  created.pki = created.pkiOf('dev1');
  await world.start();
  ctx.onStop(() => world.stop());
  ctx.onBoard((board) => {
    attachWssWorld(board, world, { tlsProfile: created.tlsProfile, tlsMax: created.tlsSockets,
      builtinRootsPem: [makeWssPki({ seed: 'server-only' }).serverRootPem] });
    const pki = created.pkiOf(board.id);
    for (const fn of deviceHooks) fn(board, pki);
  });
  const apUp = new Set<string>();
  const ffsOff = new Set<string>();
  ctx.timeline.on((e) => {
    if (e.actor === 'dss' && e.kind === 'state' && e.summary.endsWith('-> DONE')) ctx.setOutcome('provisioned');
    if (e.actor === 'wifi' && e.kind === 'dhcp' && e.summary.startsWith('got IP') && e.board) {
      const b = ctx.boards.find((x) => x.id === e.board);
      const ap = b ? wssContextOf(b).station.ap : null;
      if (ap && ap.owner === 'scenario') ctx.setOutcome('wifiConnected');
    }
    const owner = e.fields && typeof e.fields.owner === 'string' ? e.fields.owner : '';
    const device = owner && owner !== 'scenario' && owner !== 'provisioner' ? owner : '';
    if (e.actor === 'wifi' && e.kind === 'ap' && device) {
      if (e.summary.includes(' up ')) apUp.add(device);
      else if (e.summary.endsWith(' down')) apUp.delete(device);
    }
    if (e.actor === 'device' && e.kind === 'log' && e.board) {
      if (e.summary.includes('FFS provisionee booted')) ffsOff.delete(e.board);
      if (e.summary.includes('wss: FFS off')) ffsOff.add(e.board);
    }
    const b = device || e.board || '';
    if (b && apUp.has(b) && ffsOff.has(b)) ctx.setOutcome('softAp', b);
  });
  resolveReady();
  return run;
}

// ---- the `wss` section: firmware TLS profile and the board's TLS heap ----

export const worldPlugin: WorldPlugin = {
  key: 'wss',
  validate(section) {
    const p: string[] = [];
    if (!section || typeof section !== 'object' || Array.isArray(section)) return ['world.wss: expected an object {tlsProfile, tlsSockets}'];
    const s = section as Record<string, unknown>;
    for (const k of Object.keys(s)) if (!['tlsProfile', 'tlsSockets'].includes(k)) p.push(`world.wss.${k}: unknown field (known: tlsProfile, tlsSockets)`);
    if (s.tlsProfile !== undefined && s.tlsProfile !== 'stock' && s.tlsProfile !== 'verifying') {
      p.push('world.wss.tlsProfile: expected "stock" (no server verification, SNI "mbed TLS Server 1") or "verifying"');
    }
    if (s.tlsSockets !== undefined && !(Number.isInteger(s.tlsSockets) && (s.tlsSockets as number) >= 1)) p.push('world.wss.tlsSockets: expected an integer >= 1');
    return p;
  },
  async attach(ctx, section) {
    const run = await wssRun(ctx);
    const s = section as { tlsProfile?: 'stock' | 'verifying'; tlsSockets?: number };
    if (s.tlsProfile) run.tlsProfile = s.tlsProfile;
    if (s.tlsSockets) run.tlsSockets = s.tlsSockets;
  },
};
