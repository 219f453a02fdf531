// Checks that a binary is Espruino 2v29 built with the ESP32 profile: the board name, 16,383 JsVars of
// 14 bytes, and Storage reads that stay in flash (a 300-byte file read costs one JsVar, not ~25).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ESPRUINO_VERSION, PROFILE_BOARD } from './paths.mjs';

const MARK = 'FFS-PROFILE ';
const PROBE = `var S=require("Storage");S.write("probe",new Array(301).join("x"));
print("${MARK}"+JSON.stringify({env:process.env,memory:process.memory(),storageVars:E.getSizeOf(S.read("probe"))}));`;

/** Runs the probe (the interpreter does not exit by itself: it is killed after 10 s at most). */
export function probeBinary(binary, workDir) {
  const dir = mkdtempSync(path.join(workDir || os.tmpdir(), 'probe-'));
  try {
    writeFileSync(path.join(dir, 'probe.js'), PROBE);
    const r = spawnSync(binary, ['probe.js'], { cwd: dir, encoding: 'utf8', timeout: 10000, input: '', killSignal: 'SIGKILL' });
    if (r.error && r.error.code === 'ENOENT') return { error: `no such file ${binary}` };
    if (r.error && r.error.code === 'EACCES') return { error: `${binary} is not executable` };
    const out = String(r.stdout || '');
    const line = out.split('\n').find((l) => l.includes(MARK));
    if (!line) return { error: `${binary} did not run the probe (not an Espruino interpreter?)` };
    return JSON.parse(line.slice(line.indexOf(MARK) + MARK.length));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function checkProfile(binary, workDir) {
  const p = probeBinary(binary, workDir);
  if (p.error) return { ok: false, why: p.error };
  const why = [];
  if (p.env.VERSION !== ESPRUINO_VERSION) why.push(`version ${p.env.VERSION}, need ${ESPRUINO_VERSION}`);
  if (p.env.BOARD !== PROFILE_BOARD) why.push(`board ${p.env.BOARD}, need ${PROFILE_BOARD} (build it with npm run espruino:build)`);
  if (p.memory.total !== 16383 || p.memory.blocksize !== 14) why.push(`${p.memory.total} JsVars of ${p.memory.blocksize} bytes, need 16383 of 14`);
  if (p.storageVars !== 1) why.push(`a Storage read costs ${p.storageVars} JsVars (not memory-mapped)`);
  return why.length ? { ok: false, why: why.join('; '), env: p.env, memory: p.memory } : { ok: true, env: p.env, memory: p.memory };
}
