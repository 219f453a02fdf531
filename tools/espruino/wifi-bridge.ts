// The Wi-Fi side of the lane: answers the interpreter's Wifi stand-in (tools/espruino/standins/wifi.js)
// from the Wi-Fi medium (sim/medium/wifi.ts: access points, directed probes, association outcomes),
// with the same world actors as the simulator: the scenario's home network, the Amazon provisioner
// that raises the hidden setup network when it hears the device's encoded probe, and the DSS on real
// TLS on loopback. The stand-in's sockets are the interpreter's own (Linux sockets): the firmware is
// flashed with DSS.Host 127.0.0.1 and the DSS's real ports, so its HTTPS goes straight to the DSS.
// Join timing follows the emulated ESP32 driver (sim/board/wifi.ts): up to 3 attempts, each with a
// directed probe, and a 'disconnected' event (no callback) when all fail.
import type { VirtualClock } from '../../sim/clock.ts';
import type { Timeline } from '../../sim/timeline.ts';
import type { DeviceIdentity } from '../../flash/identity.ts';
import { REASON, reasonText, type WifiMedium } from '../../sim/medium/wifi.ts';
import { WifiWorld } from '../../sim/world/aps.ts';
import { Provisioner } from '../../sim/world/provisioner.ts';
import { DssServer } from '../../sim/world/dss.ts';
import { makeWssPki, pkiFromIdentity } from '../../sim/world/test-pki.ts';

export interface WifiBridgeOptions {
  clock: VirtualClock;
  timeline: Timeline;
  boardId: string;
  identity: DeviceIdentity;
  /** reply to the stand-in */
  send: (m: Record<string, unknown>) => void;
  /** the customer's home network the DSS hands over */
  home: { ssid: string; passphrase: string };
}

const MAC = '24:0a:c4:00:00:01';
/** virtual ms, as sim/board/wifi.ts WIFI_TIMING */
const T = { scanMs: 1600, connectScanMs: 300, dhcpMs: 350 };

export class WifiBridge {
  readonly world: WifiWorld;
  readonly medium: WifiMedium;
  dss: DssServer | null = null;
  provisioner: Provisioner | null = null;
  private attempt = 0;
  private ap: ReturnType<WifiMedium['associate']>['ap'] | null = null;
  private softAp: ReturnType<WifiMedium['addAccessPoint']> | null = null;

  constructor(readonly o: WifiBridgeOptions) {
    this.world = new WifiWorld(o.clock, o.timeline);
    this.medium = this.world;
  }

  async start(): Promise<void> {
    const o = this.o;
    await this.world.start();
    this.medium.addAccessPoint({ ssid: o.home.ssid, passphrase: o.home.passphrase, security: 'wpa2', behind: 'internet', rssi: -50, channel: 6 });
    const pki = pkiFromIdentity(o.identity as Parameters<typeof pkiFromIdentity>[0]);
    this.provisioner = new Provisioner({ clock: o.clock, timeline: o.timeline, world: this.world, deviceTypePrivateKeyPem: pki.deviceType.privateKeyPem, encoded: true });
    this.provisioner.registerDevice(pki.device.publicKeyDer);
    const server = makeWssPki({ seed: 'server-only' });
    this.dss = new DssServer({
      pki: { ...pki, serverCertPem: server.serverCertPem, serverKeyPem: server.serverKeyPem, serverRootPem: server.serverRootPem },
      clock: o.clock,
      timeline: o.timeline,
      seed: 'dss:espruino-lane',
      account: { networks: [{ ssid: o.home.ssid, securityProtocol: 'WPA_PSK', key: o.home.passphrase }] },
    } as ConstructorParameters<typeof DssServer>[0]);
    await this.dss.start();
  }

  /** The real ports the firmware must be configured with (DSS.Port, DSS.SetupPort). */
  dssPorts(): { port: number; setupPort: number } {
    return { port: this.dss!.realPort(443), setupPort: this.dss!.realPort(8888) };
  }

  async stop(): Promise<void> {
    if (this.dss) await this.dss.stop();
    await this.world.stop();
  }

  private later(fn: () => void, ms: number): void {
    this.o.clock.setTimer(fn, ms, 'lane:wifi');
  }

  private reply(id: unknown, body: Record<string, unknown>): void {
    this.o.send({ t: 'r', id, ...body });
  }

  private event(ev: string, d: Record<string, unknown>): void {
    this.o.send({ t: 'e', ev, d });
  }

  onRequest(m: Record<string, unknown>): void {
    const board = this.o.boardId;
    const w = this.medium;
    switch (m.op) {
      case 'scan': {
        w.emit('scan', 'scan started', undefined, board);
        this.later(() => {
          const list = w.scan();
          w.emit('scan', `scan found ${list.length} AP(s): ${list.map((e) => (e.ssid ? JSON.stringify(e.ssid) : '(hidden)')).join(', ')}`, undefined, board);
          this.reply(m.id, { list });
        }, T.scanMs);
        return;
      }
      case 'connect': {
        const ssid = String(m.ssid ?? '').slice(0, 32);
        const password = String(m.pw ?? '');
        const attempt = ++this.attempt;
        if (this.ap) this.leave('to join another network');
        w.emit('join', `joining ${JSON.stringify(ssid)}`, { ssid }, board);
        const tryOnce = (left: number) => {
          w.probe(board, ssid, MAC);
          this.later(() => {
            if (attempt !== this.attempt) return;
            const a = w.associate(board, ssid, password);
            this.later(() => {
              if (attempt !== this.attempt) return;
              if (!a.ok || !a.ap) {
                const reason = a.reason ?? REASON.UNSPECIFIED;
                if (left > 1) return tryOnce(left - 1);
                w.emit('join', `join ${JSON.stringify(ssid)} failed: ${reasonText(reason)}`, { ssid, reason }, board);
                this.reply(m.id, { ok: false, reason, msg: reasonText(reason), mac: a.ap ? a.ap.bssid.toLowerCase() : '00:00:00:00:00:00' });
                return;
              }
              this.ap = a.ap;
              w.emit('join', `associated with ${JSON.stringify(ssid)} (${a.ap.bssid}, ${a.ap.security}, ${a.ap.behind})`, { ssid, bssid: a.ap.bssid }, board);
              this.later(() => {
                if (attempt !== this.attempt) return;
                w.emit('dhcp', `got IP ${a.ip} on ${JSON.stringify(ssid)}`, { ip: a.ip }, board);
                this.reply(m.id, { ok: true, ip: a.ip, gw: a.gw, netmask: a.netmask, mac: a.ap!.bssid.toLowerCase(), channel: String(a.ap!.channel), auth: a.ap!.security });
              }, T.dhcpMs);
            }, Math.max(0, a.delayMs - T.connectScanMs));
          }, T.connectScanMs);
        };
        tryOnce(3);
        return;
      }
      case 'disconnect':
        this.attempt++;
        this.leave('ASSOC_LEAVE');
        return;
      case 'startAP': {
        if (this.softAp) w.takeDown(this.softAp);
        const pw = String(m.pw ?? '');
        this.softAp = w.addAccessPoint({ ssid: String(m.ssid ?? '').slice(0, 32), security: pw ? 'wpa2' : 'open', passphrase: pw, behind: 'nothing', rssi: -40, channel: 1 }, board);
        this.later(() => this.reply(m.id, { ok: true }), 120);
        return;
      }
      case 'stopAP':
        if (this.softAp) w.takeDown(this.softAp);
        this.softAp = null;
        this.reply(m.id, { ok: true });
        return;
      case 'dns':
        this.reply(m.id, { ip: w.resolve(this.ap ?? null, String(m.host ?? '')) });
        return;
      default:
        this.reply(m.id, { error: `unknown op ${String(m.op)}` });
    }
  }

  private leave(why: string): void {
    const ap = this.ap;
    this.ap = null;
    if (ap) this.medium.emit('leave', `left ${JSON.stringify(ap.ssid)} (${why})`, { ssid: ap.ssid }, this.o.boardId);
  }
}
