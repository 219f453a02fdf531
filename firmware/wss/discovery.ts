// Local discovery on the home network (integration guide, "Local Discovery"): a UDP responder the
// maker's app finds the device with. The answer carries identity only, never a secret (no key, no
// passphrase, no session token).
import type { Hal } from '../../hal/types';
import { jsonString, member, members } from './json-out';
import { info, warn } from './log';

export const DISCOVERY_PORT = 50000;
export const DISCOVERY_PROBE = 'FFS_DISCOVER';

/** The answer to a discovery probe, from configuration. */
export function discoveryAnswer(get: (k: string) => unknown, ip: string): string {
  const fields = [
    ['manufacturer', 'DeviceInformation.ManufacturerName'],
    ['model', 'DeviceInformation.ModelNumber'],
    ['serial', 'DeviceInformation.SerialNumber'],
    ['productIndex', 'DeviceInformation.ProductIndex'],
    ['firmwareVersion', 'DeviceInformation.FirmwareVersion'],
  ];
  const list = [member('type', jsonString('ffs-provisionee'))];
  for (let i = 0; i < fields.length; i++) {
    const v = get(fields[i][1]);
    if (typeof v === 'string' || typeof v === 'number') list.push(member(fields[i][0], jsonString(String(v))));
  }
  if (ip) list.push(member('ip', jsonString(ip)));
  return '{' + members(list) + '}';
}

export function startDiscovery(hal: Hal, ip: string): () => void {
  const cfgPort = hal.config.getConfigurationValue('Discovery.Port');
  const port = typeof cfgPort === 'number' && cfgPort > 0 ? cfgPort : DISCOVERY_PORT;
  hal.net.listenUdp({
    port: port,
    onMessage: (message, from, reply) => {
      if (message.trim() !== DISCOVERY_PROBE) return;
      info(hal, 'discovery probe from ' + from.address + ':' + from.port);
      reply(discoveryAnswer((k: string) => hal.config.getConfigurationValue(k), ip));
    },
    onDone: (err) => {
      if (err) warn(hal, 'local discovery unavailable: ' + err.message);
      else info(hal, 'local discovery on UDP ' + port);
    },
  });
  return () => hal.net.closeUdp(port);
}
