// The Amazon provisioner (an Echo acting for the customer): hears a device's directed probe for an
// encoded setup SSID, decodes it (authMaterialIndex, product index, nonce), looks the device up in the
// cloud's registry, derives the WPA2 passphrase with the device-type PRIVATE key (ECDH -> SHA-256 ->
// HMAC(nonce) -> base64, wss-protocol.md §3.1), and raises the hidden WPA2 network whose port 8888 is
// a transparent relay to the DSS. It can also offer the open hidden `simple_setup` network (§3.1 b).
import type { VirtualClock } from '../clock.ts';
import type { Timeline } from '../timeline.ts';
import type { AccessPoint, WifiWorld } from './aps.ts';
import { authMaterialIndexOf, decodeSetupSsid, setupPassphrase } from './wss-codec.ts';

export interface ProvisionerOptions {
  clock: VirtualClock;
  timeline: Timeline;
  world: WifiWorld;
  deviceTypePrivateKeyPem: string;
  /** serve the encoded setup network (default true) */
  encoded?: boolean;
  /** offer the open hidden simple_setup network (default false) */
  simpleSetup?: boolean;
  /** virtual ms between hearing the probe and the network being up (asks the cloud; default 1500) */
  raiseDelayMs?: number;
  /** how long a raised setup network stays up (default 10 minutes) */
  lifetimeMs?: number;
  channel?: number;
  rssi?: number;
  /** a provisioner that derives the passphrase wrongly (fault): the device cannot join */
  wrongPassphrase?: boolean;
  /** product indexes this provisioner accepts (default: any registered device) */
  productIndexes?: string[];
}

export class Provisioner {
  /** devices the cloud knows: authMaterialIndex hex -> device public key DER */
  private registry = new Map<string, Buffer>();
  private raised = new Map<string, AccessPoint>();
  readonly heard: Array<{ ssid: string; ok: boolean; why?: string }> = [];

  constructor(readonly opts: ProvisionerOptions) {
    if (opts.encoded !== false) opts.world.onProbe((p) => this.onProbe(p.ssid));
    if (opts.simpleSetup) {
      opts.world.addAccessPoint({ ssid: 'simple_setup', hidden: true, security: 'open', behind: 'dssSetup',
        channel: opts.channel ?? 6, rssi: opts.rssi ?? -45 }, 'provisioner');
    }
  }

  /** The cloud's device registry (made from each device's certificate at manufacturing). */
  registerDevice(devicePublicKeyDer: Buffer): void {
    this.registry.set(authMaterialIndexOf(devicePublicKeyDer).toString('hex'), devicePublicKeyDer);
  }

  private emit(kind: string, summary: string, fields?: Record<string, unknown>): void {
    this.opts.timeline.emit({ actor: 'provisioner', kind, summary, fields });
  }

  private onProbe(ssid: string): void {
    if (ssid.length !== 32 || this.raised.has(ssid)) return;
    let decoded;
    try {
      decoded = decodeSetupSsid(ssid);
    } catch (e) {
      this.heard.push({ ssid, ok: false, why: (e as Error).message });
      return; // not an FFS setup SSID
    }
    const ami = decoded.authMaterialIndex.toString('hex');
    const devicePub = this.registry.get(ami);
    if (decoded.control !== 0 || !devicePub) {
      const why = decoded.control !== 0 ? `control nibble ${decoded.control}` : `unknown device ${ami}`;
      this.heard.push({ ssid, ok: false, why });
      this.emit('ignore', `probe for ${JSON.stringify(ssid)}: ${why}`);
      return;
    }
    if (this.opts.productIndexes && !this.opts.productIndexes.includes(decoded.productIndex)) {
      this.heard.push({ ssid, ok: false, why: `product ${decoded.productIndex}` });
      this.emit('ignore', `probe from device ${ami}: product index ${JSON.stringify(decoded.productIndex)} not served`);
      return;
    }
    this.heard.push({ ssid, ok: true });
    this.emit('probe', `heard encoded setup SSID of device ${ami} (product ${decoded.productIndex}, nonce ${decoded.nonce.toString('hex')})`,
      { ami, productIndex: decoded.productIndex, nonce: decoded.nonce.toString('hex') });
    const passphrase = setupPassphrase({
      deviceTypePrivateKeyPem: this.opts.deviceTypePrivateKeyPem,
      devicePublicKeyDer: devicePub,
      nonce: decoded.nonce,
    });
    const ap = this.opts.world.addAccessPoint({
      ssid,
      hidden: true,
      security: 'wpa2',
      passphrase: this.opts.wrongPassphrase ? passphrase.slice(1) + 'A' : passphrase,
      behind: 'dssRelay',
      channel: this.opts.channel ?? 6,
      rssi: this.opts.rssi ?? -45,
      upAtMs: this.opts.clock.now() + (this.opts.raiseDelayMs ?? 1500),
      downAtMs: this.opts.clock.now() + (this.opts.raiseDelayMs ?? 1500) + (this.opts.lifetimeMs ?? 600000),
    }, 'provisioner');
    this.raised.set(ssid, ap);
    this.emit('raise', `raising hidden WPA2 setup network for device ${ami} (port 8888 relays to the DSS)`, { ssid });
  }
}

// ---- world plugin: "provisioner": {encoded, simpleSetup, raiseDelayMs, ...} ----

import type { WorldPlugin } from '../scenario.ts';

export const worldPlugin: WorldPlugin = {
  key: 'provisioner',
  validate(section) {
    if (!section || typeof section !== 'object' || Array.isArray(section)) return ['world.provisioner: expected an object {encoded?, simpleSetup?, ...}'];
    const s = section as Record<string, unknown>;
    const p: string[] = [];
    const known = ['encoded', 'simpleSetup', 'raiseDelayMs', 'lifetimeMs', 'channel', 'rssi', 'wrongPassphrase', 'productIndexes'];
    for (const k of Object.keys(s)) if (!known.includes(k)) p.push(`world.provisioner.${k}: unknown field (known: ${known.join(', ')})`);
    for (const k of ['encoded', 'simpleSetup', 'wrongPassphrase']) if (s[k] !== undefined && typeof s[k] !== 'boolean') p.push(`world.provisioner.${k}: expected true or false`);
    for (const k of ['raiseDelayMs', 'lifetimeMs']) if (s[k] !== undefined && !(typeof s[k] === 'number' && (s[k] as number) >= 0)) p.push(`world.provisioner.${k}: expected virtual ms >= 0`);
    if (s.channel !== undefined && !(Number.isInteger(s.channel) && (s.channel as number) >= 1 && (s.channel as number) <= 14)) p.push('world.provisioner.channel: expected 1 to 14');
    if (s.rssi !== undefined && typeof s.rssi !== 'number') p.push('world.provisioner.rssi: expected dBm');
    if (s.productIndexes !== undefined && !(Array.isArray(s.productIndexes) && s.productIndexes.every((x) => typeof x === 'string' && x.length === 4))) {
      p.push('world.provisioner.productIndexes: expected an array of 4-character product indexes');
    }
    return p;
  },
  async attach(ctx, section) {
    const { wssRun } = await import('./wss-run.ts');
    const run = await wssRun(ctx);
    const s = section as Partial<ProvisionerOptions>;
    const prov = new Provisioner({ ...s, clock: ctx.clock, timeline: ctx.timeline, world: run.world,
      deviceTypePrivateKeyPem: run.pki.deviceType.privateKeyPem });
    run.provisioner = prov;
    run.onDevice((_board, pki) => prov.registerDevice(pki.device.publicKeyDer));
  },
};
