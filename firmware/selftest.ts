// dist/selftest.js: the crypto self-test a device maker can flash to a board (or run in the simulator).
// Like firmware/main.ts, the only file that joins the pure runner to the Espruino binding.
import { runSelftest } from './selftest-run';
import { selftestIo } from '../hal/espruino/selftest-io';

runSelftest(selftestIo());
