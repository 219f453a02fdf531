// Wires the device's fake BLE to the Echo's independent provisioner (sim/world/echo.ts) over a tiny
// lossy "air" with a seeded RNG, for end-to-end tests of startMesh without the simulator.
import { ProvisionerProtocol, PbAdvClient, ProxyReassembler, proxySegments, type ProtocolFault, type ProvisionerOptions } from '../../sim/world/echo.ts';
import type { FakeHal } from './support.ts';

export interface AirFaults {
  loss?: number;
  duplicate?: number;
  /** probability that a packet gets an extra 30..80 ms delay (so it arrives after later ones) */
  reorder?: number;
  /** copies of each device advertisement heard per burst (advertising events) */
  copies?: number;
  seed?: number;
}

export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export const NET = {
  netKey: Buffer.from('efb2255e6422d330088e09bb015ed707', 'hex'),
  keyIndex: 0x0567,
  flags: 0,
  ivIndex: 0x01020304,
  address: 0x0b0c,
};

export interface EchoRun {
  result: { done?: string; code?: number; reason?: string } | null;
  protocol: ProvisionerProtocol;
  client?: PbAdvClient;
  closedBy?: 'device' | 'echo';
  closeReason?: number;
  /** PDUs the device sent, in order */
  deviceTx: Buffer[];
  air: { lost: number; duplicated: number; reordered: number };
  /** stop answering (provisioner gone) */
  vanish(): void;
  /** close the link now */
  closeLink(): void;
}

export interface EchoOptions {
  hal: FakeHal;
  uuid: Buffer;
  staticOob: Buffer;
  bearer: 'pb-adv' | 'pb-gatt';
  fault?: ProtocolFault;
  air?: AirFaults;
  /** stop answering after the device sent this many PDUs */
  vanishAfter?: number;
  /** close the link after the device sent this many PDUs */
  closeAfter?: number;
  suppressAcks?: boolean;
  mtu?: number;
  provisioner?: Partial<ProvisionerOptions>;
  linkId?: number;
}

/** Starts an Echo that waits for the device's beacon (or PB-GATT advertisement) and provisions it. */
export function startEcho(o: EchoOptions): EchoRun {
  const hal = o.hal;
  const clock = hal.clock;
  const rnd = seeded(o.air?.seed ?? 7);
  const air = o.air ?? {};
  const protocol = new ProvisionerProtocol({ staticOob: o.staticOob, ...NET, attention: 5, fault: o.fault, ...o.provisioner });
  let gone = false;
  let started = false;
  const run: EchoRun = {
    result: null,
    protocol,
    deviceTx: [],
    air: { lost: 0, duplicated: 0, reordered: 0 },
    vanish: () => void (gone = true),
    closeLink: () => undefined,
  };
  const deliver = (fn: () => void): void => {
    if (air.loss && rnd() < air.loss) {
      run.air.lost++;
      return;
    }
    const late = !!air.reorder && rnd() < air.reorder;
    if (late) run.air.reordered++;
    const delay = 1 + Math.floor(rnd() * 4) + (late ? 30 + Math.floor(rnd() * 50) : 0);
    clock.setTimeout(fn, delay);
    if (air.duplicate && rnd() < air.duplicate) {
      run.air.duplicated++;
      clock.setTimeout(fn, delay + 2);
    }
  };
  const onStep = (step: { send: Buffer[]; done?: string; code?: number; reason?: string }, send: (p: Buffer) => void): void => {
    for (const p of step.send) send(p);
    if (step.done) run.result = { done: step.done, code: step.code, reason: step.reason };
  };
  const devicePdu = (pdu: Buffer, send: (p: Buffer) => void, close: () => void): void => {
    run.deviceTx.push(pdu);
    if (gone) return;
    if (o.vanishAfter !== undefined && run.deviceTx.length >= o.vanishAfter) {
      gone = true;
      return;
    }
    if (o.closeAfter !== undefined && run.deviceTx.length >= o.closeAfter) {
      close();
      return;
    }
    const step = protocol.onPdu(pdu);
    onStep(step, send);
    if (step.done) clock.setTimeout(close, 300);
  };

  if (o.bearer === 'pb-adv') {
    const client = new PbAdvClient({
      uuid: o.uuid,
      linkId: o.linkId ?? 0x12345678,
      suppressAcks: o.suppressAcks,
      timers: { now: clock.now, set: (fn, ms) => clock.setTimeout(fn, ms), clear: (id) => clock.clearTimeout(id) },
      transmit: (ad) => {
        if (gone) return;
        deliver(() => hal.ble.scanning && hal.ble.scanning(new Uint8Array(ad), -40));
      },
      onOpen: () => onStep(protocol.start(), (p) => client.send(p)),
      onPdu: (pdu) => devicePdu(pdu, (p) => client.send(p), () => run.closeLink()),
      onClose: (reason, byDevice) => {
        if (!run.closedBy) {
          run.closedBy = byDevice ? 'device' : 'echo';
          run.closeReason = reason;
        }
      },
    });
    run.client = client;
    run.closeLink = () => {
      if (run.closedBy) return;
      run.closedBy = 'echo';
      run.closeReason = run.result?.done === 'complete' ? 0 : 2;
      client.close(run.closeReason);
    };
    hal.ble.onAdvertise = (data, connectable) => {
      if (connectable || gone) return;
      const type = data[1];
      if (type === 0x2b && !started && Buffer.from(data.subarray(3, 19)).equals(o.uuid)) {
        started = true;
        clock.setTimeout(() => client.openLink(), 10);
        return;
      }
      if (type === 0x29) {
        const payload = Buffer.from(data.subarray(2, 1 + data[0]));
        for (let i = 0; i < (air.copies ?? 2); i++) deliver(() => client.onPayload(payload));
      }
    };
  } else {
    const mtu = o.mtu ?? 23;
    const reasm = new ProxyReassembler();
    let connected = false;
    const write = (pdu: Buffer): void => {
      if (gone || !connected) return;
      for (const seg of proxySegments(pdu, mtu)) clock.setTimeout(() => connected && hal.ble.gatt!.onWrite(new Uint8Array(seg)), 2);
    };
    run.closeLink = () => {
      if (!connected) return;
      connected = false;
      run.closedBy = run.closedBy ?? 'echo';
      clock.setTimeout(() => hal.ble.gatt!.onDisconnect(), 2);
    };
    hal.ble.onNotify = (seg) => {
      const pdu = reasm.push(Buffer.from(seg));
      if (pdu) devicePdu(pdu, write, run.closeLink);
    };
    hal.ble.onDisconnect = () => {
      if (!connected) return;
      connected = false;
      run.closedBy = run.closedBy ?? 'device';
      clock.setTimeout(() => hal.ble.gatt!.onDisconnect(), 2);
    };
    hal.ble.onAdvertise = (data, connectable) => {
      if (!connectable || started || gone || !hal.ble.gatt) return;
      // Service Data 0x1827 carries the UUID at offset 11 of the advertisement.
      if (!Buffer.from(data.subarray(11, 27)).equals(o.uuid)) return;
      started = true;
      clock.setTimeout(() => {
        connected = true;
        hal.ble.gatt!.onConnect(mtu);
        clock.setTimeout(() => onStep(protocol.start(), write), 20);
      }, 10);
    };
  }
  return run;
}
