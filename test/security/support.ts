// Shared set-up for the security tests (issue 14): the real bundle on an emulated board.
import { existsSync, readFileSync } from 'node:fs';
import { buildAll } from '../../esbuild.config.mjs';
import { FIRMWARE_PATH, deviceImage, loadScenario } from '../../sim/scenario';
import { eventText } from '../../sim/timeline';
import { world, makeBoard, type World } from '../sim/helpers';
import type { Board } from '../../sim/board/board';

/** dist/firmware.js, built when a fresh clone has none yet. */
export async function bundle(): Promise<string> {
  if (!existsSync(FIRMWARE_PATH)) await buildAll([]);
  return readFileSync(FIRMWARE_PATH, 'latin1');
}

/**
 * A board flashed with the `boot` scenario's image, with `edit` applied to the file list first
 * (drop a file, shorten one), then powered on and run for `ms` virtual ms.
 */
export async function bootEdited(
  edit: (files: Array<{ name: string; data: Uint8Array }>) => Array<{ name: string; data: Uint8Array }>,
  ms = 3000,
): Promise<{ w: World; b: Board; texts: string[] }> {
  const scenario = await loadScenario('boot');
  const files = edit(await deviceImage(await bundle(), scenario, 'dev1'));
  const w = world();
  const b = makeBoard(w);
  for (const f of files) b.storage.writeFile(f.name, f.data);
  b.powerOn();
  await w.clock.run({ until: ms });
  return { w, b, texts: w.timeline.events.map(eventText) };
}
