// The simulated BLE air: raw advertising packets between boards (their emulated NRF) and world actors
// (the Echo), with loss, duplication, delay and reordering from the run's seeded RNG; a GATT link model
// (connect, write, notify, disconnect); and a UDP bridge on loopback — one datagram per advertising
// packet, the AD structures exactly as sent over the air — so another mesh stack can join the run.
// World section "air": { loss, duplicate, reorder, delayMs: [min, max], udpBridge: null | { port, peers },
//                        firmware: "2v29" | "legacy", scanGarbage }
// The air itself (the PHY, its UDP bridge, GATT links) is the radio medium: sim/medium/radio.ts.
import type { WorldContext, WorldPlugin } from '../scenario.ts';
import { Air, nrfFactory, type AirConfig } from '../medium/radio.ts';

export { Air, DEFAULT_AIR, GATT_INTERVAL_MS, GattLink, defaultAir, setNrfFactory } from '../medium/radio.ts';
export type { AirConfig, AirPacket, GattClient, GattServer, Radio } from '../medium/radio.ts';

// ---- one air per scenario run ----

const airs = new WeakMap<WorldContext, Air>();

export function validateAir(section: unknown): string[] {
  const p: string[] = [];
  if (!section || typeof section !== 'object' || Array.isArray(section)) return ['world.air: expected an object'];
  const s = section as Record<string, unknown>;
  const known = ['loss', 'duplicate', 'reorder', 'delayMs', 'udpBridge', 'firmware', 'scanGarbage'];
  for (const k of Object.keys(s)) if (!known.includes(k)) p.push(`world.air.${k}: unknown field (known: ${known.join(', ')})`);
  for (const k of ['loss', 'duplicate', 'reorder', 'scanGarbage']) {
    if (s[k] !== undefined && !(typeof s[k] === 'number' && (s[k] as number) >= 0 && (s[k] as number) < 1)) p.push(`world.air.${k}: expected a probability in [0, 1)`);
  }
  if (s.delayMs !== undefined) {
    const d = s.delayMs as unknown[];
    if (!Array.isArray(d) || d.length !== 2 || !d.every((x) => typeof x === 'number' && x >= 0) || (d[0] as number) > (d[1] as number)) p.push('world.air.delayMs: expected [min, max] virtual ms');
  }
  if (s.udpBridge !== undefined && s.udpBridge !== null) {
    const u = s.udpBridge as Record<string, unknown>;
    if (typeof u !== 'object' || !(Number.isInteger(u.port) && (u.port as number) >= 0 && (u.port as number) < 65536)) p.push('world.air.udpBridge.port: expected a UDP port (0 = any)');
    if (u.peers !== undefined && !(Array.isArray(u.peers) && u.peers.every((x) => Number.isInteger(x) && x > 0 && x < 65536))) p.push('world.air.udpBridge.peers: expected an array of UDP ports on 127.0.0.1');
  }
  if (s.firmware !== undefined && s.firmware !== '2v29' && s.firmware !== 'legacy') p.push('world.air.firmware: expected "2v29" or "legacy"');
  return p;
}

/** The run's air (created on first use by the air, echo or NRF parts, configured from world.air). */
export function airFor(ctx: WorldContext): Air {
  let air = airs.get(ctx);
  if (!air) {
    const section = (ctx.scenario.world.air ?? {}) as Partial<AirConfig>;
    air = new Air(ctx.clock, ctx.timeline, ctx.rng.fork('air'), section);
    airs.set(ctx, air);
    const a = air;
    ctx.onStop(() => a.stop());
    // Every board of this run gets an NRF bound to this air.
    ctx.boardGlobals.NRF = (board) => nrfFactory()(board, a);
  }
  return air;
}

export const worldPlugin: WorldPlugin = {
  key: 'air',
  validate: (section) => validateAir(section),
  async attach(ctx, section) {
    const air = airFor(ctx);
    const u = (section as Partial<AirConfig>).udpBridge;
    if (u) await air.startUdp(u.port, u.peers ?? []);
  },
};
