// The BLE Mesh provisionee (BSS): entry point called by app.ts when the configuration has
// flows.mesh = true. Unprovisioned: make the key pair while idle, beacon, accept one link at a time
// over PB-ADV and/or PB-GATT and run the provisioning protocol on it. Provisioned: stay quiet.
import { meshLog } from './log';
import type { Hal } from '../../hal/types';
import type { FlowEvent } from '../api';
import { FILES } from '../../hal/storage-layout';
import type { BearerLink, BearerEvents } from './bearer';
import { CLOSE_FAIL, CLOSE_TIMEOUT } from './bearer';
import { createAdvertiser, type AdvSpec } from './advertiser';
import { unprovisionedBeacon, pbGattAdvertisement, uriHash } from './ad';
import { createPbAdv, type PbAdv } from './pb-adv';
import { createPbGatt, type PbGatt } from './pb-gatt';
import { createSession, type Session } from './prov';
import { capabilitiesParams, ALG_BIT_CMAC, ALG_BIT_HMAC } from './pdu';
import { createKeyHolder } from './keys';
import { firmwareEcc, type MeshEcc } from './ecc';
import { parseIdentity, type MeshConfig, type MeshIdentity } from './identity';
import { createMeshState, type MeshState } from './state';
import { bytesToHex } from '../crypto/bytes';
import { clearTimer } from './timer';

export interface MeshController {
  isProvisioned(): boolean;
  /** Erase the mesh records (NetKey, DevKey, address...) so the device beacons again after reboot. */
  factoryReset(): void;
  stop(): void;
}

export interface MeshOptions {
  /** Test seam: the elliptic-curve provider (default: firmware/crypto/p256, sliced). */
  ecc?: MeshEcc;
  /** Test seam: the identity instead of FILES.mesh. */
  identity?: MeshIdentity;
  /** Overrides of the FILES.config "mesh" section. */
  config?: MeshConfig;
  /** What happened, for the maker's API (firmware/api.ts), told after the record that says it is saved. */
  onEvent?: (e: FlowEvent) => void;
}


/**
 * A link lives at most this long from Link Open, whatever its peer sends (nobody holds the only link
 * forever). The longest legitimate provisioning at ESP32 speed is ~60 s: our Public Key held up to
 * 20 s for the ECDH, the provisioner's 30 s wait for our Confirmation, then a few seconds each for
 * Random, Data and Complete (docs/MESH.md "Device time"); 120 s is twice that.
 */
export const LINK_LIFE_MS = 120000;

/** What a board keeps of the mesh flow: the HAL and the maker's onEvent (and, while the node beacons,
 *  its stop). The device (firmware/api.ts) calls meshFactoryReset itself; startMesh wraps it. */
export interface Mesh {
  hal: Hal;
  onEvent?: (e: FlowEvent) => void;
  stop?: () => void;
}

/** Erase the mesh records (NetKey, DevKey, address...): the device beacons again after the reboot. */
export function meshFactoryReset(m: Mesh): void {
  createMeshState(m.hal.storage).erase();
  if (m.onEvent) m.onEvent({ mesh: 'beaconing' });
  m.hal.log.log('info', 'mesh', 'factory reset: mesh records erased');
}

/** Boot the mesh flow: a provisioned node stays quiet, an unprovisioned one beacons. */
export function bootMesh(hal: Hal, opts: MeshOptions): Mesh {
  // a provisioned node keeps nothing but `m` (no closure is made here, so the record read below is not
  // kept either); the provisioning machinery is in a function of its own
  const m: Mesh = { hal: hal };
  if (opts.onEvent) m.onEvent = opts.onEvent;
  const state = createMeshState(hal.storage);
  const node = state.load();
  const address = node ? node.address : 0;
  if (opts.onEvent) opts.onEvent({ mesh: address ? 'provisioned' : 'beaconing' });
  if (address) hal.log.log('info', 'mesh', 'provisioned node, address 0x' + address.toString(16) + ': not beaconing');
  else beaconUntilProvisioned(hal, opts, state, m);
  return m;
}

/** bootMesh as a controller with methods (the tests' and a host's form). */
export function startMesh(hal: Hal, opts: MeshOptions): MeshController {
  const m = bootMesh(hal, opts);
  return {
    // the record says it (saved before Complete is sent; erased by a factory reset)
    isProvisioned: () => createMeshState(hal.storage).load() !== null,
    factoryReset: () => meshFactoryReset(m),
    stop: () => {
      if (m.stop) m.stop();
    },
  };
}

/** What `ctl.stop` becomes once the flow has shut down (the closure it replaces kept this flow's whole
 *  scope alive), and the stand-in for a missing onEvent. */
function stopNothing(): void {}

/** Unprovisioned: the key pair, the beacon, the bearers and one provisioning session at a time. */
function beaconUntilProvisioned(hal: Hal, opts: MeshOptions, state: MeshState, ctl: Mesh): void {
  const log = hal.log;
  const L = meshLog(log);
  const tell = opts.onEvent || stopNothing;
  let cfg = opts.config;
  if (!cfg) {
    // the "mesh" section of FILES.config alone (the rest of the parsed file is not kept while the flow runs)
    const f = hal.storage.readJSON<{ mesh?: MeshConfig }>(FILES.config);
    cfg = (f && f.mesh) || {};
  }
  const identity = opts.identity || parseIdentity(hal.storage.readJSON(FILES.mesh), cfg, log);
  const elements = cfg.elements || 1;
  if (!identity) return;
  if (elements < 1 || elements > 255) return L.e('mesh.elements must be 1..255');
  // the BLE service only now: a provisioned node never makes it (hal.ble may be made on first use)
  const ble = hal.ble;
  const want = cfg.bearers || 'both';
  // Each bearer's code sits behind its feature flag, so `--no-pb-adv` / `--no-pb-gatt` drop it.
  // bit 0: PB-ADV, bit 1: PB-GATT (anything else: none)
  const bits = want === 'both' ? 3 : want === 'pb-adv' ? 1 : want === 'pb-gatt' ? 2 : 0;
  const useAdv = __FEATURE_PB_ADV__ && bits & 1 && ble.supports.pbAdv;
  let useGatt = __FEATURE_PB_GATT__ && bits & 2 && ble.supports.pbGatt;
  const capabilities = capabilitiesParams(elements, cfg.hmacSha256 ? ALG_BIT_CMAC | ALG_BIT_HMAC : ALG_BIT_CMAC);
  const ecc = opts.ecc || firmwareEcc(hal.clock, hal.crypto.randomBytes);
  const keys = createKeyHolder(ecc, log, hal.clock.defer);
  const advertiser = createAdvertiser(hal);
  const idleAds: AdvSpec[] = [];

  let session: Session | null = null;
  let current: BearerLink | null = null;
  let lifeTimer: number | null = null;
  let keyUsed = false;
  /** Provisioned or stopped: no new link, no beacon, and the flow shuts down when the link ends. */
  let stopped = false;
  let pbAdv: PbAdv | null = null;
  let pbGatt: PbGatt | null = null;

  function shutdown(): void {
    ctl.stop = stopNothing;
    stopped = true;
    keys.stop();
    if (__FEATURE_PB_ADV__ && pbAdv) {
      pbAdv.close(CLOSE_FAIL); // the link, if any
      ble.stopScan();
    }
    if (__FEATURE_PB_GATT__ && pbGatt) pbGatt.stop();
    advertiser.stop();
  }

  /** Beacon once the key pair is ready: a link then only waits for the ECDH, never for a key pair. */
  function beacon(): void {
    keys.whenReady(function () {
      if (!current && !stopped) advertiser.setIdle(idleAds);
    });
  }

  const endLink = function (): void {
    lifeTimer = clearTimer(hal.clock, lifeTimer);
    if (session) session.stop();
    session = null;
    current = null;
    if (stopped) return shutdown();
    if (keyUsed) {
      keyUsed = false;
      keys.renew();
    }
    L.i('beaconing again');
    beacon();
  };

  const events: BearerEvents = {
    onLinkOpen(link: BearerLink): boolean {
      if (stopped || current) return false;
      current = link;
      advertiser.setIdle([]); // the beacon stops while a link is open
      lifeTimer = hal.clock.setTimeout(function () {
        lifeTimer = null;
        L.w('link too long');
        link.close(CLOSE_TIMEOUT);
        endLink();
      }, LINK_LIFE_MS);
      session = createSession({
        clock: hal.clock,
        log: log,
        ecc: ecc,
        keys: keys,
        randomBytes: hal.crypto.randomBytes,
        capabilities: capabilities,
        staticOob: identity.staticOob,
        allowNoOob: !!cfg.allowNoOob,
        send(pdu: Uint8Array): void {
          if (pdu[0] === 0x03) keyUsed = true;
          link.send(pdu);
        },
        close(reason: number): void {
          link.close(reason);
          endLink();
        },
        store: state.save,
        onEnd(reason, code, address): void {
          // A failure or a timeout is already logged by the session.
          if (reason) return tell({ failed: { flow: 'mesh', reason: reason, code: code } });
          stopped = true; // provisioned
          L.i('provisioned over ' + (link === pbGatt ? 'pb-gatt' : 'pb-adv') + ': address 0x' + address!.toString(16));
          const n = state.load();
          if (n) tell({ mesh: 'provisioned', node: n });
        },
      });
      // (the bearer logs the open link itself)
      return true;
    },
    // Only the current link reports PDUs or its close: a bearer whose link was refused never has it
    // open, and every path that ends the current link closes it at its bearer first (which then
    // reports nothing more). So there is a session exactly while these are called.
    onPdu(_link: BearerLink, pdu: Uint8Array): void {
      session!.onPdu(pdu);
    },
    onLinkClose(link: BearerLink, reason: number): void {
      L.i('link closed over ' + (link === pbGatt ? 'pb-gatt' : 'pb-adv') + ' (reason ' + reason + ')');
      endLink();
    },
  };

  // What the bearers need (one object for both).
  const ctx = { ble: ble, clock: hal.clock, log: log, uuid: identity.uuid, advertiser: advertiser, events: events };
  // PB-GATT first: a firmware without GATT notifications drops it here (pb-gatt.ts logs why).
  if (__FEATURE_PB_GATT__ && useGatt) {
    const gatt = createPbGatt(ctx);
    useGatt = gatt.start();
    if (useGatt) {
      pbGatt = gatt;
      idleAds.push({ data: pbGattAdvertisement(identity.uuid, identity.oobInfo), connectable: true, intervalMs: 200 /* connectable PB-GATT advert */ });
    }
  }
  if (!useAdv && !useGatt) {
    L.e('no usable bearer for ' + want);
    return;
  }
  if (__FEATURE_PB_ADV__ && useAdv) {
    const adv = createPbAdv(ctx);
    pbAdv = adv;
    const err = ble.startScan(adv);
    if (err) L.w('scan failed: ' + err.message);
    // The beacon goes first in the rotation.
    idleAds.unshift({ data: unprovisionedBeacon(identity.uuid, identity.oobInfo, identity.uri ? uriHash(identity.uri) : null), connectable: false, intervalMs: cfg.beaconIntervalMs || 1000 /* default beacon interval */ });
  }
  L.i('unprovisioned: beaconing uuid ' + bytesToHex(identity.uuid) + ' oob 0x' + identity.oobInfo.toString(16) +
    ' over' + (useAdv ? ' pb-adv' : '') + (useGatt ? ' pb-gatt' : ''));
  beacon();

  ctl.stop = function (): void {
    if (current) current.close(CLOSE_FAIL);
    stopped = true;
    endLink();
  };
}
