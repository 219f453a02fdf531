// Shared set-up for the simulator tests: a clock, a timeline and boards with in-memory or file Storage.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VirtualClock } from '../../sim/clock';
import { Timeline, eventText } from '../../sim/timeline';
import { Rng } from '../../sim/rng';
import { Board, type BoardOptions } from '../../sim/board/board';

export function world() {
  const clock = new VirtualClock();
  const timeline = new Timeline(() => clock.now());
  return { clock, timeline, rng: new Rng(7) };
}

export type World = ReturnType<typeof world>;

/** A board whose Storage holds `files` (name -> text); not powered on yet. */
export function makeBoard(w: World, files: Record<string, string> = {}, extra: Partial<BoardOptions> = {}): Board {
  const b = new Board({ id: extra.id ?? 'b1', clock: w.clock, timeline: w.timeline, rng: w.rng, ...extra });
  for (const [name, text] of Object.entries(files)) b.storage.writeFile(name, text);
  return b;
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'ffs-sim-'));
}

export function texts(w: World): string[] {
  return w.timeline.events.map(eventText);
}

/** Evaluate code in the board and return the thrown error's message (or undefined if none). */
export function thrown(b: Board, code: string): string | undefined {
  return b.evaluate(`(function(){ try { ${code}; return undefined; } catch (e) { return String(e && e.message); } })()`) as string | undefined;
}
