// The browser for the trace-page tests, from the project's own dependencies: @sparticuz/chromium ships a
// brotli-compressed headless Chromium for Linux x64 inside its npm tarball (no download at install or
// run time), unpacked on first use into the temp directory. TRACE_BROWSER=/path/to/chrome overrides it
// (another platform, a system browser). Never skipped: no browser is a failure with one line naming
// the fix.
import { existsSync } from 'node:fs';
import chromium from '@sparticuz/chromium';

/** Flags of the bundled build that would loosen the page's security: the tests check that it holds. */
const LOOSENING = ['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials'];

export interface Browser {
  executablePath: string;
  args: string[];
  source: string;
}

export async function traceBrowser(): Promise<Browser> {
  const own = process.env.TRACE_BROWSER;
  if (own) {
    if (!existsSync(own)) throw new Error(`TRACE_BROWSER=${own} does not exist (unset it to use the bundled @sparticuz/chromium)`);
    return { executablePath: own, args: ['--no-sandbox'], source: 'TRACE_BROWSER' };
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the bundled Chromium (@sparticuz/chromium) is for Linux x64, this is ${process.platform}/${process.arch}: set TRACE_BROWSER to a Chrome/Chromium executable`);
  }
  let executablePath: string;
  try {
    executablePath = await chromium.executablePath();
  } catch (e) {
    throw new Error(`could not unpack the bundled Chromium (@sparticuz/chromium): ${(e as Error).message}; run \`npm install\`, or set TRACE_BROWSER`);
  }
  return { executablePath, args: chromium.args.filter((a) => !LOOSENING.includes(a)), source: '@sparticuz/chromium' };
}
