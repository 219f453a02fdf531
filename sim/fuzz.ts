// Fuzzing: randomized fault schedules against a scenario (work in progress).
import type { Scenario } from './scenario';

export interface FuzzCliOptions { runs: number; seed?: number; quiet?: boolean; trace?: string; colour?: boolean }

export async function fuzzCli(_scenario: Scenario, _opts: FuzzCliOptions): Promise<number> {
  console.error('sim: --fuzz is not finished yet');
  return 2;
}
