// Local discovery on the home network (integration guide, "Local Discovery"): a UDP responder the
// maker's app finds the device with. The answer carries identity only, never a secret (no key, no
// passphrase, no session token).
import type { ConfigValue, Hal } from '../../hal/types';
import { deviceDetailsMember } from './messages';
import { jsonString, member, members } from './json-out';
import { info, warn } from './log';

export const DISCOVERY_PORT = 50000;
export const DISCOVERY_PROBE = 'FFS_DISCOVER';

/**
 * The answer to a discovery probe: the same deviceDetails the DSS receives (manufacturer, model,
 * serial, product index, versions) and the IP.
 */
export function discoveryAnswer(get: (k: string) => ConfigValue | undefined, ip: string): string {
  return '{' + members([member('type', jsonString('ffs-provisionee')), deviceDetailsMember(get), ip ? member('ip', jsonString(ip)) : '']) + '}';
}

export function startDiscovery(hal: Hal, ip: string): () => void {
  const cfgPort = hal.config.getConfigurationValue('Discovery.Port');
  const port = typeof cfgPort === 'number' && cfgPort > 0 ? cfgPort : DISCOVERY_PORT;
  hal.net.listenUdp({
    port: port,
    onMessage: (message, from, reply) => {
      if (message.trim() !== DISCOVERY_PROBE) return;
      info(hal, 'discovery probe from ' + from.address + ':' + from.port);
      reply(discoveryAnswer((k: string): ConfigValue | undefined => hal.config.getConfigurationValue(k), ip));
    },
    onDone: (err) => {
      if (err) warn(hal, 'local discovery unavailable: ' + err.message);
      else info(hal, 'local discovery on UDP ' + port);
    },
  });
  return () => hal.net.closeUdp(port);
}
