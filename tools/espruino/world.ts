// The simulated world the real interpreter lives in during the lane: the same actors the simulator
// uses (the Echo, the air, access points, the Amazon provisioner, the DSS), on one virtual clock paced
// at real time, joined to the interpreter through the medium (sim/medium/): the air's UDP bridge
// carries the advertising packets of the NRF stand-in, and the Wi-Fi bridge below answers the Wifi
// stand-in's scans and joins. The actors are given the device's credentials (from its mkdevice
// identity), never a board: they do not know which kind of board they serve.
import dgram from 'node:dgram';
import { VirtualClock } from '../../sim/clock.ts';
import { Timeline, type SimEvent } from '../../sim/timeline.ts';
import { Rng } from '../../sim/rng.ts';
import { Air } from '../../sim/medium/radio.ts';
import { Echo, DEFAULT_ECHO } from '../../sim/world/echo.ts';
import type { WorldContext } from '../../sim/scenario.ts';
import type { DeviceIdentity } from '../../flash/identity.ts';
import { WifiBridge, type WifiBridgeOptions } from './wifi-bridge.ts';

export interface LaneWorldOptions {
  identity: DeviceIdentity;
  /** the board id the actors use in their events */
  boardId: string;
  seed: number;
  /** UDP port the interpreter's NRF stand-in binds (the air sends there) */
  nrfPort: number;
  /** UDP port of the interpreter's probe / Wifi stand-in (control messages) */
  devicePort: number;
  wifi?: Omit<WifiBridgeOptions, 'clock' | 'timeline' | 'send' | 'boardId' | 'identity'>;
  onEvent?: (e: SimEvent) => void;
  onDeviceMessage?: (m: Record<string, unknown>) => void;
}

export interface LaneWorld {
  clock: VirtualClock;
  timeline: Timeline;
  air: Air;
  echo: Echo;
  wifi: WifiBridge | null;
  /** the air's UDP bridge port (the NRF stand-in sends there) */
  airPort: number;
  /** the control port (probe reports, Wifi stand-in requests) */
  controlPort: number;
  outcomes: Map<string, { outcome: string; t: number }>;
  stop(): Promise<void>;
}

/** A free UDP port on 127.0.0.1 (bound and released). */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

export async function startLaneWorld(o: LaneWorldOptions): Promise<LaneWorld> {
  const clock = new VirtualClock({ holdWatchdogMs: 600000 });
  const timeline = new Timeline(() => clock.now());
  const rng = new Rng(o.seed);
  if (o.onEvent) timeline.on(o.onEvent);
  const outcomes = new Map<string, { outcome: string; t: number }>();
  const stops: Array<() => void | Promise<void>> = [];
  // The Echo is a world actor made for scenario runs: it gets a context with no boards in it.
  const ctx = {
    clock, timeline, rng,
    scenario: { name: 'espruino-lane', seed: o.seed, world: {}, device: {}, expect: {}, faults: [] },
    boards: [],
    onBoard: () => undefined,
    boardModules: {},
    boardGlobals: {},
    setOutcome: (outcome: string, board?: string) => void outcomes.set(`${board ?? o.boardId}:${outcome}`, { outcome, t: clock.now() }),
    onStop: (fn: () => void | Promise<void>) => void stops.push(fn),
  } as unknown as WorldContext;

  const air = new Air(clock, timeline, rng.fork('air'));
  const airPort = await air.startUdp(0, [o.nrfPort]);
  const echo = new Echo(ctx, air, { ...DEFAULT_ECHO, bearer: 'pb-adv' });
  echo.addCredential({
    boardId: o.boardId,
    uuid: Buffer.from(o.identity.bss.deviceUuid.replace(/-/g, ''), 'hex'),
    staticOob: Buffer.from(o.identity.bss.oobData, 'hex'),
  });

  // control socket: probe reports and the Wifi stand-in's requests
  const control = dgram.createSocket('udp4');
  await new Promise<void>((r) => control.bind(0, '127.0.0.1', () => r()));
  const controlPort = (control.address() as { port: number }).port;
  const send = (m: Record<string, unknown>) => {
    const b = Buffer.from(JSON.stringify(m), 'latin1');
    control.send(b, o.devicePort, '127.0.0.1');
  };
  let wifi: WifiBridge | null = null;
  if (o.wifi) {
    wifi = new WifiBridge({ ...o.wifi, clock, timeline, send, boardId: o.boardId, identity: o.identity });
    await wifi.start();
  }
  control.on('message', (msg, rinfo) => {
    if (rinfo.address !== '127.0.0.1') return;
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(msg.toString('latin1'));
    } catch {
      return;
    }
    if (!m || typeof m !== 'object') return;
    // handled at the current virtual instant, on the clock like every other world event
    clock.setTimer(() => {
      if (m.t === 'w' && wifi) wifi.onRequest(m);
      o.onDeviceMessage?.(m);
    }, 0, 'lane');
  });

  // The clock paced at real time; a heartbeat keeps it running while the world waits for the device.
  let running = true;
  const beat = () => {
    if (running) clock.setTimer(beat, 1000, 'lane');
  };
  beat();
  const loop = clock.run({ realtime: true, stop: () => !running });
  return {
    clock, timeline, air, echo, wifi, airPort, controlPort, outcomes,
    async stop() {
      running = false;
      clock.setTimer(() => undefined, 0, 'lane');
      await loop.catch(() => undefined);
      await air.stop();
      if (wifi) await wifi.stop();
      for (const fn of stops) await fn();
      await new Promise<void>((r) => control.close(() => r()));
    },
  };
}
