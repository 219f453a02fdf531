/** Version of this firmware, printed in the boot line the flash tool and the simulator wait for. */
export const FIRMWARE_VERSION = '0.1.0';
/** The Espruino firmware version the bundle is built and tested for. */
export const TARGET_ESPRUINO = '2v29';
