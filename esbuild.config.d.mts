export function featureDefines(argv?: string[]): Record<string, string>;
export const bundles: Array<{ name: string; entry: string }>;
export function buildOptions(entry: string, outfile: string, argv?: string[]): any;
export function buildAll(argv?: string[]): Promise<Array<{ name: string; outfile: string }>>;
