#!/usr/bin/env node
// npm run espruino:build -- <Espruino source checkout> [--out DIR] [--jobs N]
//
// Builds a Linux host binary of the real Espruino interpreter with the ESP32 profile
// (tools/espruino/board/FFS_ESP32_PROFILE.py + tools/espruino/esp32-profile.patch): 32-bit, 16,383
// JsVars of 14 bytes, the ESP32 module set without the radio, no unicode, Storage reads memory-mapped
// as on ESP32, TLS with ECDSA/ECDHE as ESP-IDF's mbedTLS has it.
//
// The checkout is only read: its files are copied to a scratch folder beside the output, the board
// file and the patch are applied there, and the binary replaces <out>/espruino only after it built
// and passed the profile check. Any failure: one line on stderr, exit 1 (2 for bad arguments).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESPRUINO_VERSION, PROFILE_BOARD, defaultBuildDir } from './paths.mjs';
import { checkProfile } from './profile-check.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

class BuildError extends Error {
  constructor(line, code) {
    super(line);
    this.code = code;
  }
}

function fail(line, code = 1) {
  throw new BuildError(line, code);
}

function parseArgs(argv) {
  const opts = { checkout: '', out: defaultBuildDir(), jobs: Math.max(1, os.cpus().length) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out' || a === '--jobs') {
      const v = argv[++i];
      if (!v) fail(`${a} needs a value`, 2);
      if (a === '--out') opts.out = path.resolve(v);
      else if (!/^[1-9][0-9]*$/.test(v)) fail(`--jobs must be a positive integer, got "${v}"`, 2);
      else opts.jobs = Number(v);
    } else if (a.startsWith('-')) fail(`unknown option ${a}`, 2);
    else if (opts.checkout) fail(`one checkout path only (got "${opts.checkout}" and "${a}")`, 2);
    else opts.checkout = path.resolve(a);
  }
  if (!opts.checkout) fail('usage: npm run espruino:build -- <path to an Espruino source checkout> [--out DIR] [--jobs N]', 2);
  return opts;
}

/** The checkout must be Espruino's source tree at the tested release. */
function checkCheckout(dir) {
  const need = ['Makefile', 'src/jsutils.h', 'src/jsflash.c', 'targets/linux/jshardware.c', 'scripts/build_platform_config.py'];
  const missing = need.filter((f) => !existsSync(path.join(dir, f)));
  if (missing.length) fail(`${dir} is not an Espruino source checkout (missing ${missing.join(', ')}); get one with: git clone https://github.com/espruino/Espruino && git -C Espruino checkout RELEASE_2V29`, 2);
  const m = /#define JS_VERSION "([^".]+)/.exec(readFileSync(path.join(dir, 'src/jsutils.h'), 'utf8'));
  const version = m ? m[1] : 'unknown';
  if (version !== ESPRUINO_VERSION) fail(`Espruino ${version} is not supported: the profile and its patch are made for ${ESPRUINO_VERSION} (git -C ${dir} checkout RELEASE_2V29)`, 2);
  return version;
}

function run(cmd, args, options) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
}

/** make, python3 and a 32-bit C/C++ toolchain (Debian: gcc-multilib g++-multilib). */
function checkToolchain(scratch) {
  for (const tool of ['make', 'python3', 'gcc', 'git']) {
    if (run(tool, ['--version']).status !== 0) fail(`${tool} is not installed (Debian: apt-get install build-essential python3 git)`);
  }
  const src = path.join(scratch, 'm32.c');
  writeFileSync(src, 'int main(void){return 0;}\n');
  const r = run('gcc', ['-m32', src, '-o', path.join(scratch, 'm32'), '-lstdc++']);
  if (r.status !== 0) fail('no 32-bit toolchain: install it (Debian: apt-get install gcc-multilib g++-multilib)');
}

function copySources(from, to) {
  // Everything the Linux build reads; .git and the MCU vendor libraries (targetlibs) are not needed.
  for (const name of readdirSync(from)) {
    if (name === '.git' || name === 'targetlibs' || name === 'obj') continue;
    cpSync(path.join(from, name), path.join(to, name), { recursive: true });
  }
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const version = checkCheckout(opts.checkout);
  mkdirSync(opts.out, { recursive: true });
  const scratch = path.join(opts.out, `build-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const logFile = path.join(opts.out, 'build.log');
  let ok = false;
  try {
    checkToolchain(scratch);
    const tree = path.join(scratch, 'espruino');
    mkdirSync(tree);
    process.stdout.write(`espruino:build: copying ${opts.checkout} (Espruino ${version})\n`);
    copySources(opts.checkout, tree);
    cpSync(path.join(here, 'board', `${PROFILE_BOARD}.py`), path.join(tree, 'boards', `${PROFILE_BOARD}.py`));
    const patch = run('git', ['apply', '-p1', path.join(here, 'esp32-profile.patch')], { cwd: tree, env: { ...process.env, GIT_DIR: path.join(scratch, 'none') } });
    if (patch.status !== 0) fail(`the profile patch does not apply to this checkout (local changes in src/jsflash.c, src/jsflash.h or targets/linux/jshardware.c?): ${patch.stderr.trim().split('\n')[0]}`);
    // Espruino's scripts ask git for the commit; use the checkout's own history when it has one.
    const gitDir = existsSync(path.join(opts.checkout, '.git')) ? path.join(opts.checkout, '.git') : makeStandInGit(scratch);
    process.stdout.write(`espruino:build: compiling BOARD=${PROFILE_BOARD} with ${opts.jobs} jobs (log: ${logFile})\n`);
    const make = run('make', [`BOARD=${PROFILE_BOARD}`, `-j${opts.jobs}`], { cwd: tree, env: { ...process.env, GIT_DIR: gitDir } });
    writeFileSync(logFile, (make.stdout || '') + (make.stderr || ''));
    const binary = path.join(tree, 'bin', 'espruino');
    if (make.status !== 0 || !existsSync(binary)) {
      const lastError = ((make.stdout || '') + (make.stderr || '')).split('\n').filter((l) => /error/i.test(l)).pop() || `make exited with ${make.status}`;
      fail(`compile failed: ${lastError.trim()} (whole log: ${logFile})`);
    }
    const profile = checkProfile(binary, scratch);
    if (!profile.ok) fail(`the built binary is not the ESP32 profile: ${profile.why}`);
    const target = path.join(opts.out, 'espruino');
    renameSync(binary, target + '.new');
    renameSync(target + '.new', target);
    writeFileSync(path.join(opts.out, 'espruino.json'), JSON.stringify({ version, board: PROFILE_BOARD, commit: profile.env.GIT_COMMIT, built: new Date().toISOString(), checkout: opts.checkout, memory: profile.memory }, null, 2) + '\n');
    ok = true;
    process.stdout.write(`espruino:build: ${target} (Espruino ${version} ${profile.env.GIT_COMMIT}, ${profile.memory.total} JsVars of ${profile.memory.blocksize} bytes, Storage memory-mapped)\n`);
    process.stdout.write(`espruino:build: run the lane with: ESPRUINO_BIN=${target} npm run test:espruino\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return ok;
}

function makeStandInGit(scratch) {
  const dir = path.join(scratch, 'git');
  run('git', ['init', '-q', dir]);
  run('git', ['-C', dir, '-c', 'user.name=build', '-c', 'user.email=build@localhost', 'commit', '-q', '--allow-empty', '-m', 'not a git checkout']);
  return path.join(dir, '.git');
}

try {
  main();
} catch (e) {
  if (!(e instanceof BuildError)) throw e;
  process.stderr.write(`espruino:build: ${e.message}\n`);
  process.exit(e.code);
}
