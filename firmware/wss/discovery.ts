// Local discovery on the home network (integration guide, "Local Discovery"): a UDP responder the
// maker's app finds the device with. The answer carries identity only, never a secret (no key, no
// passphrase, no session token).
import type { ConfigValue, Hal } from '../../hal/types';
import { configPort } from './config';
import { deviceDetails } from './messages';
import { jsonString, obj } from './json-out';
import { info, warn } from './log';

export const DISCOVERY_PORT = 50000;
export const DISCOVERY_PROBE = 'FFS_DISCOVER';

/**
 * The answer to a discovery probe: the same deviceDetails the DSS receives (manufacturer, model,
 * serial, product index, versions) and the IP.
 */
export function discoveryAnswer(config: { getConfigurationValue(key: string): ConfigValue | undefined }, ip: string): string {
  return obj(['type', '"ffs-provisionee"', 'deviceDetails', deviceDetails(config), 'ip', ip && jsonString(ip)]);
}

export function startDiscovery(hal: Hal, ip: string): () => void {
  const port = configPort(hal, 'Discovery.Port', DISCOVERY_PORT);
  hal.net.listenUdp({
    port: port,
    onMessage: (message, from, reply) => {
      if (message.trim() !== DISCOVERY_PROBE) return;
      reply(discoveryAnswer(hal.config, ip));
    },
    onDone: (err) => {
      if (err) warn(hal, 'no discovery: ' + err.message);
    },
  });
  return () => hal.net.closeUdp(port);
}
