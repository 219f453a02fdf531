// Local discovery on the home network (integration guide, "Local Discovery"): a UDP responder the
// maker's app finds the device with. The answer carries identity only, never a secret (no key, no
// passphrase, no session token).
import type { ConfigValue, Hal } from '../../hal/types';
import { deviceDetails } from './messages';
import { jsonString, obj } from './json-out';

export const DISCOVERY_PORT = 50000;
export const DISCOVERY_PROBE = 'FFS_DISCOVER';

/**
 * The answer to a discovery probe: the same deviceDetails the DSS receives (manufacturer, model,
 * serial, product index, versions) and the IP.
 */
export function discoveryAnswer(config: { getConfigurationValue(key: string): ConfigValue | undefined }, ip: string): string {
  return obj(['type', '"ffs-provisionee"', 'deviceDetails', deviceDetails(config), 'ip', ip && jsonString(ip)]);
}

/**
 * Not an amplifier (a spoofed source gets nothing worth sending): answers only senders on our own /24,
 * only a probe at least as long as the answer (the app pads "FFS_DISCOVER" with spaces), at most
 * once a second. The answer is made when one is sent (the board keeps its length only). Returns the
 * UDP port, for hal.net.closeUdp.
 */
export function startDiscovery(hal: Hal, ip: string): number {
  // (wss/config.ts configPort, written out: that module is setup's, build/lazy.mjs)
  let port = parseInt(String(hal.config.getConfigurationValue('Discovery.Port')), 10);
  if (!(port > 0)) port = DISCOVERY_PORT;
  // "192.168.1." (with the dot: 192.168.10.x is another subnet); '' when there is no IP
  const subnet = ip.replace(/\d+$/, '');
  let size = discoveryAnswer(hal.config, ip).length;
  let next = 0;
  hal.net.listenUdp({
    port: port,
    onMessage: (message, from, reply) => {
      const now = hal.clock.now();
      if (message.trim() === DISCOVERY_PROBE && subnet && !from.address.indexOf(subnet) && message.length >= size && now >= next) {
        const answer = discoveryAnswer(hal.config, ip);
        size = answer.length;
        if (message.length < size) return;
        next = now + 1000;
        reply(answer);
      }
    },
    onDone: (err) => {
      if (err) hal.log.log('warn', 'wss', 'no discovery: ' + err.message);
    },
  });
  return port;
}
