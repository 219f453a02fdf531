// The Espruino side of the crypto self-test (dist/selftest.js): console, timers, native crypto.
import type { SelftestIo } from '../../firmware/selftest-run';
import { detectNativeCrypto } from './crypto-native';

export function selftestIo(): SelftestIo {
  return {
    print: (line: string) => print(line),
    later: (fn: () => void) => {
      setTimeout(fn, 0);
    },
    useNative: detectNativeCrypto,
    convolve: E.convolve,
  };
}
