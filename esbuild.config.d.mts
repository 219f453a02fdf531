export function featureDefines(argv?: string[]): Record<string, string>;
export const bundles: Array<{ name: string; entry: string }>;
export function buildOptions(entry: string, outfile: string, argv?: string[]): any;
export function formatEsbuildMessages(messages: any[] | undefined): string[];
export interface BuiltBundle {
  outfile: string;
  metaFile: string;
  bytes: number;
  /** log messages compiled to codes (build/logcodes.mjs), 0 with --no-logcodes */
  logCodes: number;
  /** id of the log-code dictionary (dist/<bundle>.logs.json), null without codes */
  logId: string | null;
  renamed: Array<{ from: string; to: string }>;
  aliased: Array<{ name: string; to: string; uses: number }>;
  warnings: any[];
}
export function buildBundle(
  entry: string,
  outfile: string,
  argv?: string[],
  extra?: Record<string, unknown>,
  opts?: { lazy?: boolean; halOnFirstUse?: boolean; logCodes?: boolean },
): Promise<BuiltBundle>;
export function buildAll(argv?: string[]): Promise<Array<{ name: string } & BuiltBundle>>;
