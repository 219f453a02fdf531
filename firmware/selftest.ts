// dist/selftest.js: the crypto self-test a device maker can flash to a board (or run in the simulator).
// Like firmware/main.ts, the only file that joins the pure runner to the Espruino binding.
import { runSelftest } from './selftest-run';
import { selftestIo } from '../hal/espruino/selftest-io';
import { setConvolve } from './crypto/p256';

// P-256 runs its products on the interpreter's native E.convolve, as the firmware's HAL sets up.
if (typeof E.convolve === 'function') setConvolve(E.convolve);
runSelftest(selftestIo());
