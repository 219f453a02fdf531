// Test support for the mesh provisionee: a virtual clock, a fake HAL (BLE that hands every advertised
// packet and GATT notification to the test), and a MeshEcc over Node's crypto for fast runs.
import { createECDH } from 'node:crypto';
import type { BleService, GattServiceSpec, Hal, HalError, LogLevel } from '../../hal/types.ts';
import type { KeyPair, MeshEcc } from '../../firmware/mesh/ecc.ts';
import { memoryStorage, type MemoryStorage } from '../support/memory-storage.ts';

// The build defines these with esbuild; host tests run the sources directly.
for (const flag of ['__FEATURE_MESH__', '__FEATURE_PB_ADV__', '__FEATURE_PB_GATT__']) {
  if (!(flag in globalThis)) (globalThis as Record<string, unknown>)[flag] = true;
}

export class FakeClock {
  t = 0;
  private seq = 0;
  private timers = new Map<number, { t: number; seq: number; fn: () => void; every?: number }>();
  private nextId = 1;
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): number => {
    const id = this.nextId++;
    this.timers.set(id, { t: this.t + Math.max(0, ms), seq: this.seq++, fn });
    return id;
  };
  setInterval = (fn: () => void, ms: number): number => {
    const id = this.nextId++;
    this.timers.set(id, { t: this.t + ms, seq: this.seq++, fn, every: ms });
    return id;
  };
  // Like Espruino: clearing a timer that already fired (or never existed) throws "Unknown Timeout".
  clearTimeout = (id: number): void => {
    if (!this.timers.delete(id)) throw new Error('Unknown Timeout');
  };
  clearInterval = (id: number): void => {
    if (!this.timers.delete(id)) throw new Error('Unknown Interval');
  };
  defer = (fn: () => void): void => void this.setTimeout(fn, 0);
  pending(): number {
    return this.timers.size;
  }
  /** Run timers in (time, insertion) order until `ms` virtual ms pass or `stop()` is true. */
  run(ms: number, stop?: () => boolean): void {
    const end = this.t + ms;
    for (;;) {
      if (stop && stop()) return;
      let bestId = -1;
      let best: { t: number; seq: number; fn: () => void; every?: number } | null = null;
      for (const [id, tm] of this.timers) if (!best || tm.t < best.t || (tm.t === best.t && tm.seq < best.seq)) (best = tm), (bestId = id);
      if (!best || best.t > end) {
        this.t = end;
        return;
      }
      this.t = best.t;
      if (best.every) {
        best.t += best.every;
        best.seq = this.seq++;
      } else this.timers.delete(bestId);
      best.fn();
    }
  }
}

export interface FakeBle extends BleService {
  /** every setAdvertising call (the packet data and options) */
  adverts: Array<{ t: number; data: Uint8Array; connectable: boolean; intervalMs: number }>;
  advertising: { data: Uint8Array; connectable: boolean; intervalMs: number } | null;
  scanning: ((data: Uint8Array, rssi: number) => void) | null;
  gatt: GattServiceSpec | null;
  notifications: Uint8Array[];
  disconnects: number;
  /** called for every setAdvertising (the test decides what the peer hears) */
  onAdvertise?: (data: Uint8Array, connectable: boolean) => void;
  onNotify?: (data: Uint8Array) => void;
  onDisconnect?: () => void;
}

export function fakeBle(clock: FakeClock, supports = { pbGatt: true, pbAdv: true }): FakeBle {
  const ble: FakeBle = {
    supports,
    adverts: [],
    advertising: null,
    scanning: null,
    gatt: null,
    notifications: [],
    disconnects: 0,
    setAdvertising(o): HalError | null {
      ble.advertising = o;
      ble.adverts.push({ t: clock.t, ...o });
      if (ble.onAdvertise) ble.onAdvertise(o.data, o.connectable);
      return null;
    },
    stopAdvertising(): void {
      ble.advertising = null;
    },
    startScan(o): HalError | null {
      ble.scanning = o.onPacket;
      return null;
    },
    stopScan(): void {
      ble.scanning = null;
    },
    setGattService(spec): HalError | null {
      ble.gatt = spec;
      return null;
    },
    clearGattService(): void {
      ble.gatt = null;
    },
    notify(data): HalError | null {
      ble.notifications.push(new Uint8Array(data));
      if (ble.onNotify) ble.onNotify(new Uint8Array(data));
      return null;
    },
    disconnect(): void {
      ble.disconnects++;
      if (ble.onDisconnect) ble.onDisconnect();
    },
  };
  return ble;
}

export interface FakeHal extends Hal {
  clock: FakeClock & Hal['clock'];
  ble: FakeBle;
  storage: MemoryStorage;
  lines: string[];
}

const unused = (what: string): never => {
  throw new Error('fake HAL: ' + what + ' not used by mesh tests');
};

/** A fake HAL; `random` gives deterministic bytes (a counter stream unless replaced). */
export function fakeHal(opts: { storage?: MemoryStorage; clock?: FakeClock; supports?: { pbGatt: boolean; pbAdv: boolean }; random?: (n: number) => Uint8Array } = {}): FakeHal {
  const clock = opts.clock ?? new FakeClock();
  const lines: string[] = [];
  let ctr = 1;
  const random = opts.random ?? ((n: number) => Uint8Array.from({ length: n }, () => (ctr = (ctr * 73 + 41) & 0xff)));
  const hal = {
    lines,
    log: { log: (level: LogLevel, tag: string, message: string) => void lines.push(level + ' ' + tag + ': ' + message) },
    clock: clock as FakeClock & Hal['clock'],
    storage: opts.storage ?? memoryStorage(),
    crypto: {
      randomBytes: (n: number) => random(n),
      sha256: () => unused('sha256'),
      hmacSha256: () => unused('hmac'),
      computeEcdhKey: () => unused('computeEcdhKey'),
      verifyCloudSignature: () => unused('verify'),
      signWithDeviceKey: () => unused('sign'),
    },
    config: {} as Hal['config'],
    http: {} as Hal['http'],
    wifi: {} as Hal['wifi'],
    net: {} as Hal['net'],
    ble: fakeBle(clock, opts.supports),
    button: { watch: () => undefined },
    led: { set: () => undefined },
    system: { firmwareVersion: '2v29', board: 'ESP32', hardenConsole: () => undefined, memory: () => ({ free: 1, total: 1 }), reboot: () => undefined },
  };
  return hal as unknown as FakeHal;
}

/** MeshEcc over Node's crypto (fast), optionally with a fixed device private key (test seam). */
export function nodeEcc(clock: FakeClock, fixedPrivateKey?: Buffer, delays = { keygenMs: 5, ecdhMs: 20 }): MeshEcc & { keygens: number; ecdhs: number } {
  const ecc = {
    keygens: 0,
    ecdhs: 0,
    generateKeyPair(onDone: (err: string | null, kp: KeyPair | null) => void): void {
      ecc.keygens++;
      const e = createECDH('prime256v1');
      if (fixedPrivateKey) e.setPrivateKey(fixedPrivateKey);
      else e.generateKeys();
      const kp = { privateKey: new Uint8Array(e.getPrivateKey()), publicKey: new Uint8Array(e.getPublicKey().subarray(1)) };
      clock.setTimeout(() => onDone(null, kp), delays.keygenMs);
    },
    isValidPublicKey(pub: Uint8Array): boolean {
      try {
        createECDH('prime256v1').generateKeys();
        const e = createECDH('prime256v1');
        e.generateKeys();
        e.computeSecret(Buffer.concat([Buffer.from([4]), Buffer.from(pub)]));
        return true;
      } catch {
        return false;
      }
    },
    ecdh(priv: Uint8Array, pub: Uint8Array, onDone: (err: string | null, s: Uint8Array | null) => void): void {
      ecc.ecdhs++;
      let secret: Uint8Array | null = null;
      try {
        const e = createECDH('prime256v1');
        e.setPrivateKey(Buffer.from(priv));
        secret = new Uint8Array(e.computeSecret(Buffer.concat([Buffer.from([4]), Buffer.from(pub)])));
      } catch {
        secret = null;
      }
      clock.setTimeout(() => onDone(secret ? null : 'invalid peer key', secret), delays.ecdhMs);
    },
  };
  return ecc;
}

export const hex = (b: Uint8Array | Buffer): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Buffer => Buffer.from(s, 'hex');
