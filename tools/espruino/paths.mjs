// Where the Espruino lane keeps the interpreter it builds: outside the repository (a device maker's
// checkout of Espruino is theirs, and no binary built from it belongs in this project).
import os from 'node:os';
import path from 'node:path';

/** The Espruino release the profile, the patch and the measurements were made for. */
export const ESPRUINO_VERSION = '2v29';
/** The board name the build uses (tools/espruino/board/FFS_ESP32_PROFILE.py). */
export const PROFILE_BOARD = 'FFS_ESP32_PROFILE';

/** Build output folder: $ESPRUINO_BUILD_DIR, else ~/.cache/ffs-espruino. */
export function defaultBuildDir() {
  return process.env.ESPRUINO_BUILD_DIR || path.join(os.homedir(), '.cache', 'ffs-espruino');
}

/** The interpreter to run: $ESPRUINO_BIN, else the default build's binary. */
export function defaultBinary() {
  return process.env.ESPRUINO_BIN || path.join(defaultBuildDir(), 'espruino');
}
