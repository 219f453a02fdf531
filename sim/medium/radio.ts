// The radio medium: BLE advertising packets and GATT links between whatever plugs in — an emulated
// board's NRF (sim/board/nrf.ts), a world actor (the Echo, sim/world/echo.ts), or, through the UDP
// bridge on loopback, anything outside the process (the real interpreter's NRF stand-in in the
// Espruino lane, tools/espruino/, or another mesh stack). Like BabbleSim's PHY it knows radios, not
// boards: loss, duplication, delay and reordering come from the run's seeded RNG, on the run's clock.
// The UDP bridge carries one datagram per advertising packet, the AD structures exactly as on air.
import dgram from 'node:dgram';
import type { VirtualClock } from '../clock.ts';
import type { Timeline } from '../timeline.ts';
import type { Rng } from '../rng.ts';

export interface AirConfig {
  /** probability a receiver misses a packet */
  loss: number;
  /** probability a receiver gets a packet twice */
  duplicate: number;
  /** probability a packet is held back 20..80 ms (so later packets overtake it) */
  reorder: number;
  /** propagation + scheduling delay range per reception, virtual ms */
  delayMs: [number, number];
  /** UDP bridge on 127.0.0.1: bind `port` (0 = any), send every packet to each of `peers` */
  udpBridge: null | { port: number; peers: number[] };
  /** NRF firmware profile: "2v29" (updateServices notifies) or "legacy" (ESP32 builds before PR #2494) */
  firmware: '2v29' | 'legacy';
  /** probability that a scan callback also gets a garbage device (ESP32 #2138) */
  scanGarbage: number;
}

export const DEFAULT_AIR: AirConfig = { loss: 0, duplicate: 0, reorder: 0, delayMs: [1, 5], udpBridge: null, firmware: '2v29', scanGarbage: 0 };

export interface AirPacket {
  from: string;
  address: string;
  data: Uint8Array;
  connectable: boolean;
  rssi: number;
}

export interface Radio {
  id: string;
  address: string;
  /** set while scanning */
  onPacket: ((p: AirPacket) => void) | null;
  /** timer owner (board id: a power cut cancels its deliveries) */
  owner: string;
}

/** GATT peripheral side (a board's NRF services). */
export interface GattServer {
  address: string;
  owner: string;
  services(): Set<number>;
  onConnect(link: GattLink): boolean;
  onWrite(link: GattLink, char: number, data: Uint8Array): void;
  onDisconnect(link: GattLink, reason: number): void;
}

export interface GattClient {
  owner: string;
  onNotify(char: number, data: Uint8Array): void;
  onDisconnect(reason: number): void;
}

/** Connection interval (7.5 ms minimum; 30 ms typical for phones and hubs). */
export const GATT_INTERVAL_MS = 30;

export class GattLink {
  open = true;
  constructor(
    private readonly air: Air,
    readonly server: GattServer,
    readonly client: GattClient,
    readonly mtu: number,
  ) {}
  /** client → server (Write Without Response) */
  write(char: number, data: Uint8Array): boolean {
    if (!this.open) return false;
    if (data.length > this.mtu - 3) throw new Error(`air: GATT write of ${data.length} bytes exceeds ATT_MTU ${this.mtu} - 3`);
    const copy = new Uint8Array(data);
    this.air.gattDeliver(this.server.owner, () => this.open && this.server.onWrite(this, char, copy));
    return true;
  }
  /** server → client (Handle Value Notification) */
  notify(char: number, data: Uint8Array): boolean {
    if (!this.open) return false;
    const copy = new Uint8Array(data.subarray(0, this.mtu - 3));
    this.air.gattDeliver(this.client.owner, () => this.open && this.client.onNotify(char, copy));
    return true;
  }
  disconnect(by: 'server' | 'client', reason = 0x13): void {
    if (!this.open) return;
    this.open = false;
    this.air.timeline.emit({ actor: 'air', kind: 'gatt', summary: `disconnected by ${by} (reason 0x${reason.toString(16)})` });
    this.air.gattDeliver('air', () => {
      if (by === 'client') this.server.onDisconnect(this, reason);
      else this.client.onDisconnect(reason);
    });
    if (by === 'client') return;
    this.air.gattDeliver('air', () => this.server.onDisconnect(this, 0x16));
  }
}

export class Air {
  config: AirConfig;
  private radios = new Set<Radio>();
  private servers = new Map<string, GattServer>();
  private udp: dgram.Socket | null = null;
  readonly stats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, udpOut: 0, udpIn: 0 };

  constructor(
    readonly clock: VirtualClock,
    readonly timeline: Timeline,
    private readonly rng: Rng,
    config: Partial<AirConfig> = {},
  ) {
    this.config = { ...DEFAULT_AIR, ...config };
  }

  join(radio: Radio): () => void {
    this.radios.add(radio);
    return () => this.radios.delete(radio);
  }

  /** One advertising event of `from`: every other scanning radio may hear it. */
  transmit(from: Radio, data: Uint8Array, connectable: boolean, viaUdp = false): void {
    this.stats.sent++;
    const bytes = new Uint8Array(data);
    if (bytes.length > 31) throw new Error(`air: ${from.id} advertised ${bytes.length} bytes (legacy advertising carries at most 31)`);
    if (bytes.length && bytes[1] === 0x29) {
      this.timeline.emit({ actor: 'air', kind: 'adv', summary: `${from.id} PB-ADV ${bytes.length} bytes`, bytes: Buffer.from(bytes).toString('hex') });
    }
    for (const r of this.radios) {
      if (r === from || !r.onPacket) continue;
      this.deliverTo(r, { from: from.id, address: from.address, data: bytes, connectable, rssi: -40 - this.rng.int(0, 30) });
    }
    if (this.udp && !viaUdp) this.udpSend(bytes);
  }

  private deliverTo(r: Radio, p: AirPacket): void {
    const c = this.config;
    if (c.loss > 0 && this.rng.chance(c.loss)) {
      this.stats.lost++;
      return;
    }
    let delay = this.rng.int(c.delayMs[0], c.delayMs[1]);
    if (c.reorder > 0 && this.rng.chance(c.reorder)) {
      this.stats.reordered++;
      delay += this.rng.int(20, 80);
    }
    const deliver = () => {
      if (!r.onPacket || !this.radios.has(r)) return;
      this.stats.delivered++;
      r.onPacket(p);
    };
    this.clock.setTimer(deliver, delay, r.owner);
    if (c.duplicate > 0 && this.rng.chance(c.duplicate)) {
      this.stats.duplicated++;
      this.clock.setTimer(deliver, delay + this.rng.int(1, 15), r.owner);
    }
  }

  // ---- GATT ----

  registerServer(server: GattServer): () => void {
    this.servers.set(server.address, server);
    return () => {
      if (this.servers.get(server.address) === server) this.servers.delete(server.address);
    };
  }

  /** A central connects to an advertiser's address; null when nothing there accepts. */
  connect(address: string, client: GattClient, mtu = 23): GattLink | null {
    const server = this.servers.get(address);
    if (!server) return null;
    const link = new GattLink(this, server, client, mtu);
    if (!server.onConnect(link)) return null;
    this.timeline.emit({ actor: 'air', kind: 'gatt', summary: `connected to ${address} (ATT_MTU ${mtu})` });
    return link;
  }

  gattDeliver(owner: string, fn: () => void): void {
    this.clock.setTimer(fn, GATT_INTERVAL_MS, owner);
  }

  // ---- UDP bridge ----

  async startUdp(port: number, peers: number[]): Promise<number> {
    const bind = (p: number): Promise<dgram.Socket> =>
      new Promise((resolve, reject) => {
        const s = dgram.createSocket('udp4');
        s.once('error', (e) => {
          s.close();
          reject(e);
        });
        s.bind(p, '127.0.0.1', () => resolve(s));
      });
    let sock: dgram.Socket;
    try {
      sock = await bind(port);
    } catch (e) {
      // Another run holds the documented port: take any free one and say which (the timeline line below).
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw e;
      this.timeline.emit({ actor: 'air', kind: 'warn', summary: `UDP port ${port} is busy: binding another one` });
      sock = await bind(0);
    }
    sock.on('message', (msg, rinfo) => {
      if (rinfo.address !== '127.0.0.1') return;
      this.stats.udpIn++;
      // Inject at the current virtual instant, as a non-connectable packet from the bridge.
      this.clock.setTimer(() => this.transmit(this.udpRadio, new Uint8Array(msg), false, true), 0, 'air');
    });
    this.udp = sock;
    this.udpPeers = peers;
    const bound = (sock.address() as { port: number }).port;
    this.timeline.emit({ actor: 'air', kind: 'bridge', summary: `UDP bridge on 127.0.0.1:${bound} -> ${peers.join(', ') || '(no peers)'}` });
    return bound;
  }

  private udpPeers: number[] = [];
  readonly udpRadio: Radio = { id: 'udp', address: '00:00:00:00:00:01', onPacket: null, owner: 'air' };

  private udpSend(bytes: Uint8Array): void {
    for (const p of this.udpPeers) {
      this.stats.udpOut++;
      this.udp!.send(bytes, p, '127.0.0.1');
    }
  }

  async stop(): Promise<void> {
    if (this.udp) await new Promise<void>((r) => this.udp!.close(() => r()));
    this.udp = null;
  }
}

/** The air of the run without a scenario (tests that build boards by hand). */
let lonely: Air | null = null;

/** The standalone air for boards built outside a scenario (one per clock). */
export function defaultAir(clock: VirtualClock, timeline: Timeline, rng: Rng): Air {
  if (!lonely || lonely.clock !== clock) lonely = new Air(clock, timeline, rng.fork('air'));
  return lonely;
}

/**
 * How a kind of board plugs its radio into an air (sim/board/nrf.ts registers the emulated NRF); the
 * world asks the medium, never the board. `board` is whatever that kind of board is.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RadioAttacher = (board: any, air: Air) => unknown;
let attacher: RadioAttacher | null = null;
export function setNrfFactory(f: RadioAttacher): void {
  attacher = f;
}
/** The registered attacher (throws when no board kind registered one). */
export function nrfFactory(): RadioAttacher {
  if (!attacher) throw new Error('sim: no board kind plugged a radio into the air (import sim/board/nrf.ts)');
  return attacher;
}
