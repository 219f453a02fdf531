// Is this board one the bundle can run on? Decided from its process.env before anything is written.
// process.env on Espruino (src/jswrap_process.c): VERSION, BOARD, MODULES (comma-separated built-in
// libraries, jswGetBuiltInLibraryNames), RAM, FLASH, STORAGE, SERIAL, CONSOLE, ...
import { readFileSync, existsSync } from 'node:fs';

export interface BoardEnv {
  VERSION?: string;
  BOARD?: string;
  MODULES?: string;
  [key: string]: unknown;
}

export interface BoardRequirements {
  /** Espruino version the bundle is built for (firmware/version.ts TARGET_ESPRUINO), e.g. "2v29" */
  version: string;
  /** built-in modules the bundle cannot run without */
  modules: string[];
  /** BOARD values accepted besides ESP32 builds (testing against e.g. a Linux interpreter) */
  allowBoards?: string[];
  /** modules allowed to be missing (testing) */
  allowMissing?: string[];
  /** accept any Espruino version */
  anyVersion?: boolean;
}

/**
 * Modules the HAL detects at boot and works without (hal/espruino: crypto is absent on IDF4 builds;
 * TelnetServer is absent on builds without networking). Everything else the bundle require()s is needed.
 */
export const OPTIONAL_MODULES = ['crypto', 'TelnetServer'];

/** ESP32 Espruino builds report BOARD "ESP32" (ESP32.py) or "ESP32_IDF5"-style variants. */
export const isEsp32Board = (board: string): boolean => /^ESP32(\b|_)/.test(board);

/** The built-in modules a bundle require()s: from esbuild's metafile when present, else by scanning. */
export function requiredModules(bundleText: string, metafilePath?: string): string[] {
  const found = new Set<string>();
  if (metafilePath && existsSync(metafilePath)) {
    try {
      const meta = JSON.parse(readFileSync(metafilePath, 'utf8'));
      for (const out of Object.values<any>(meta.outputs || {})) {
        for (const imp of out.imports || []) if (imp.external) found.add(imp.path);
      }
    } catch {
      /* fall back to scanning */
    }
  }
  if (found.size === 0) {
    const re = /require\(\s*["']([A-Za-z0-9_]+)["']\s*\)/g;
    for (let m = re.exec(bundleText); m; m = re.exec(bundleText)) found.add(m[1]);
  }
  return [...found].filter((m) => !OPTIONAL_MODULES.includes(m)).sort();
}

/** Version "2v29" matches "2v29" and its cutting-edge builds "2v29.12"; nothing else. */
export function versionMatches(boardVersion: string, target: string): boolean {
  return boardVersion === target || boardVersion.startsWith(target + '.');
}

export function checkBoard(env: BoardEnv, req: BoardRequirements): { error: string | null; warnings: string[] } {
  const warnings: string[] = [];
  const board = typeof env.BOARD === 'string' ? env.BOARD : '';
  const version = typeof env.VERSION === 'string' ? env.VERSION : '';
  if (!board || !version) return { error: 'wrong board: process.env has no BOARD/VERSION: this is not an Espruino board', warnings };
  if (!isEsp32Board(board) && !(req.allowBoards || []).includes(board)) {
    return { error: `wrong board: it is an Espruino ${board} build; this bundle runs on ESP32 Espruino builds (--allow-board ${board} to override for testing)`, warnings };
  }
  if (!req.anyVersion && !versionMatches(version, req.version)) {
    return { error: `wrong firmware: the board runs Espruino ${version}, the bundle is built for ${req.version} (flash Espruino ${req.version} first)`, warnings };
  }
  if (typeof env.MODULES !== 'string') {
    warnings.push('the board does not list its built-in modules (process.env.MODULES): module check skipped');
  } else {
    const have = new Set(env.MODULES.split(',').map((s) => s.trim()).filter(Boolean));
    const missing = req.modules.filter((m) => !have.has(m) && !(req.allowMissing || []).includes(m));
    if (missing.length) {
      return { error: `wrong firmware: this Espruino ${board} build lacks the built-in module${missing.length > 1 ? 's' : ''} ${missing.join(', ')} the bundle needs (--allow-missing ${missing.join(',')} to override for testing)`, warnings };
    }
  }
  return { error: null, warnings };
}
