#!/usr/bin/env node
// The "two commands" entry point: `npm run up` and `npm test` on a machine that has only Node and npm.
// Plain Node ESM with no dependencies, because it runs before anything is installed.
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { delimiter, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Commands the stack needs from the system, each with the Debian/Ubuntu package that provides it.
 * `needed(mode, env)` says when it is required; add a line here when a feature needs a new tool.
 */
// Each entry is found by a command on PATH or, for data-only packages, by a file it installs.
const always = () => true
const SYSTEM_PACKAGES = [
  // `up` uses REDIS_URL when set; the test preload uses TEST_REDIS_URL when set, else starts its own redis-server.
  { command: 'redis-server', apt: 'redis-server', needed: (mode, env) => !env[mode === 'test' ? 'TEST_REDIS_URL' : 'REDIS_URL'] },
  // Media jobs (thumbnails, posters, renditions, waveforms), call recording and audio conversion for speech.
  { command: 'ffmpeg', apt: 'ffmpeg', needed: always },
  // Offline speech: pocketsphinx (speech-to-text) with its US-English model, Festival (text-to-speech) with an HTS voice.
  { command: 'pocketsphinx_continuous', apt: 'pocketsphinx', needed: always },
  { file: '/usr/share/pocketsphinx/model/en-us/en-us', apt: 'pocketsphinx-en-us', needed: always },
  { command: 'text2wave', apt: 'festival', needed: always },
  { file: '/usr/share/festival/voices/us/cmu_us_slt_arctic_hts', apt: 'festvox-us-slt-hts', needed: always },
  // The browser tests (client/e2e) drive Debian's Chromium; Playwright's own browser download is not used. CHROMIUM_PATH points at another build.
  { command: 'chromium', apt: 'chromium', needed: (mode, env) => mode === 'test' && !env.CHROMIUM_PATH },
  // Emoji in the browser tests' screenshots (reactions, the emoji picker).
  { file: '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf', apt: 'fonts-noto-color-emoji', needed: (mode, env) => mode === 'test' && !env.CHROMIUM_PATH },
]
const present = (pkg) => (pkg.command ? Boolean(findOnPath(pkg.command)) : existsSync(pkg.file))
const label = (pkg) => pkg.command ?? pkg.file

const BUN_VERSION = '1.4.5' // installed when no suitable bun is found
const BUN_MIN = [1, 4, 0]

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const CI = ['1', 'true', 'yes'].includes(String(process.env.CI ?? '').toLowerCase())
const INSTALL_STAMP = join(ROOT, 'node_modules', '.parley-install')
// Kept out of client/dist, which the API serves as static files.
const BUILD_STAMP = join(ROOT, 'node_modules', '.parley-client-build')

function say(message) {
  console.log(`parley: ${message}`)
}

function fail(message) {
  console.error(`parley: ${message}`)
  process.exit(1)
}

/** Runs a command to completion with inherited output; returns its exit code. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: ROOT, ...options })
  if (result.error) return 127
  return result.status ?? 1
}

function findOnPath(command, path = process.env.PATH ?? '') {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // @NOTE: not in this directory; keep looking.
    }
  }
  return null
}

/** `.env` values count as set too (Bun loads that file for the processes we start); the real environment wins. */
function effectiveEnv() {
  const env = {}
  const file = join(ROOT, '.env')
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
      const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line)
      if (match) env[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2')
    }
  }
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value
  for (const key of Object.keys(env)) if (!env[key]?.trim()) delete env[key]
  return env
}

// ---------------------------------------------------------------- bun

function bunVersion(bin) {
  const result = spawnSync(bin, ['--version'], { encoding: 'utf8' })
  if (result.status !== 0 || !result.stdout) return null
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(result.stdout.trim())
  return match ? match.slice(1).map(Number) : null
}

function isRecentEnough(version) {
  if (!version) return false
  for (let i = 0; i < BUN_MIN.length; i++) {
    if (version[i] !== BUN_MIN[i]) return version[i] > BUN_MIN[i]
  }
  return true
}

function usableBun(bin) {
  return bin && existsSync(bin) && isRecentEnough(bunVersion(bin)) ? bin : null
}

function npmQuiet() {
  return ['--no-audit', '--no-fund', '--loglevel=error']
}

function installBunGlobally() {
  say(`installing bun ${BUN_VERSION} (npm install -g bun)…`)
  // Output captured: the usual failure is EACCES for a non-root user, answered by the local install below.
  const result = spawnSync('npm', ['install', '-g', ...npmQuiet(), `bun@${BUN_VERSION}`], { cwd: ROOT, encoding: 'utf8' })
  if (result.status !== 0) {
    const reason = `${result.stderr ?? ''}`.split('\n').find((line) => /EACCES|permission|error/i.test(line))?.trim()
    say(`npm install -g bun failed${reason ? ` (${reason})` : ''}; installing into .tools/ instead`)
    return null
  }
  const prefix = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' }).stdout?.trim()
  return usableBun(findOnPath('bun')) ?? (prefix ? usableBun(join(prefix, 'bin', 'bun')) : null)
}

function installBunLocally() {
  say(`installing bun ${BUN_VERSION} into .tools/ (npm install --prefix .tools bun)…`)
  mkdirSync(join(ROOT, '.tools'), { recursive: true })
  if (run('npm', ['install', '--prefix', join(ROOT, '.tools'), ...npmQuiet(), `bun@${BUN_VERSION}`]) !== 0) return null
  return usableBun(join(ROOT, '.tools', 'node_modules', '.bin', 'bun'))
}

/** Bun on PATH, else a previous local install, else npm -g, else a local install under .tools/. */
function ensureBun() {
  const forceLocal = process.env.PARLEY_FORCE_LOCAL_BUN === '1'
  const local = join(ROOT, '.tools', 'node_modules', '.bin', 'bun')
  const bun =
    (!forceLocal && usableBun(findOnPath('bun'))) ||
    usableBun(local) ||
    (!forceLocal && installBunGlobally()) ||
    installBunLocally()
  if (!bun) fail(`could not install bun ${BUN_VERSION} with npm; install it by hand (npm install -g bun) and run this again`)
  say(`using bun ${bunVersion(bun).join('.')} (${relative(ROOT, bun).startsWith('..') ? bun : relative(ROOT, bun)})`)
  return bun
}

// ---------------------------------------------------------------- system packages

function ensureSystemPackages(mode) {
  const env = effectiveEnv()
  const missing = SYSTEM_PACKAGES.filter((pkg) => pkg.needed(mode, env) && !present(pkg))
  if (missing.length === 0) return
  const packages = [...new Set(missing.map((pkg) => pkg.apt))]
  const commands = missing.map(label).join(', ')
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (!isRoot || !findOnPath('apt-get')) {
    fail(`missing ${commands}. Install with:\n\n    sudo apt-get install -y ${packages.join(' ')}\n\nthen run this command again.`)
  }
  say(`installing system packages: ${packages.join(' ')}…`)
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // @NOTE: a failed update is not fatal; the cached lists may still hold the packages.
  if (run('apt-get', ['update', '-qq'], { env: aptEnv }) !== 0) say('apt-get update failed; trying the install anyway')
  // No questions: debconf takes its defaults, dpkg keeps locally changed config files (chromium ships some in /etc), stdin is closed.
  const dpkgOptions = ['-o', 'Dpkg::Use-Pty=0', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold']
  const installArgs = ['install', '-y', '-qq', ...dpkgOptions, '--no-install-recommends', ...packages]
  if (run('apt-get', installArgs, { env: aptEnv, stdio: ['ignore', 'inherit', 'inherit'] }) !== 0) {
    fail(`apt-get install ${packages.join(' ')} failed`)
  }
  const stillMissing = missing.filter((pkg) => !present(pkg))
  if (stillMissing.length > 0) fail(`still missing after apt-get install: ${stillMissing.map(label).join(', ')}`)
}

// ---------------------------------------------------------------- dependencies

function installFingerprint(bun) {
  const hash = createHash('sha256').update(bunVersion(bun).join('.'))
  for (const file of ['package.json', 'bun.lock', 'bunfig.toml']) {
    const path = join(ROOT, file)
    hash.update(`\0${file}\0`).update(existsSync(path) ? readFileSync(path) : '')
  }
  const patches = join(ROOT, 'patches')
  if (existsSync(patches)) {
    for (const name of readdirSync(patches).sort()) {
      const path = join(patches, name)
      if (statSync(path).isFile()) hash.update(`\0patches/${name}\0`).update(readFileSync(path))
    }
  }
  return hash.digest('hex')
}

function ensureDependencies(bun, env) {
  const upToDate = existsSync(INSTALL_STAMP) && readFileSync(INSTALL_STAMP, 'utf8').trim() === installFingerprint(bun)
  if (upToDate) return
  const frozen = CI && existsSync(join(ROOT, 'bun.lock'))
  say(`installing dependencies (bun install${frozen ? ' --frozen-lockfile' : ''})…`)
  if (run(bun, ['install', ...(frozen ? ['--frozen-lockfile'] : [])], { env }) !== 0) fail('bun install failed')
  // Computed after the install: `bun install` may rewrite bun.lock.
  writeFileSync(INSTALL_STAMP, installFingerprint(bun) + '\n')
}

// ---------------------------------------------------------------- client

function newestMtime(dir, skip) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (skip.has(path)) continue
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path, skip))
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}

/** Builds the PWA into client/dist when the client exists and changed since the last build. */
function buildClient(bun, env) {
  const client = join(ROOT, 'client')
  if (!existsSync(join(client, 'index.html')) || !existsSync(join(client, 'vite.config.ts'))) return
  const skip = new Set([join(client, 'dist'), join(client, 'node_modules'), join(client, 'e2e')])
  const sources = Math.max(
    newestMtime(client, skip),
    ...['package.json', 'bun.lock'].map((file) => (existsSync(join(ROOT, file)) ? statSync(join(ROOT, file)).mtimeMs : 0)),
  )
  const built = existsSync(join(client, 'dist', 'index.html')) && existsSync(BUILD_STAMP)
  if (built && statSync(BUILD_STAMP).mtimeMs >= sources) return
  // The client's own `build:client` script wins when it exists; plain `vite build client` otherwise.
  const args = packageScripts()['build:client'] ? ['run', 'build:client'] : ['x', 'vite', 'build', 'client']
  say(`building the client (bun ${args.join(' ')})…`)
  if (run(bun, args, { env }) !== 0) fail('client build failed')
  writeFileSync(BUILD_STAMP, new Date().toISOString() + '\n')
}

// ---------------------------------------------------------------- commands

function packageScripts() {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts ?? {}
}

/** Runs a long-lived child with inherited stdio, forwarding termination signals; resolves with its exit code. */
function runForwarding(command, args, env, onLine = null) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: onLine ? ['inherit', 'pipe', 'pipe'] : 'inherit', cwd: ROOT, env })
    if (onLine) {
      // Output is passed through as it comes; complete lines are also handed to `onLine` (test counts).
      for (const [stream, sink] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
        let partial = ''
        stream.on('data', (chunk) => {
          sink.write(chunk)
          const lines = (partial + chunk.toString('utf8')).split('\n')
          partial = lines.pop() ?? ''
          for (const line of lines) onLine(line)
        })
        stream.on('end', () => partial && onLine(partial))
      }
    }
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP']
    const forward = (signal) => {
      // @NOTE: the child may already be gone; then there is nobody to tell.
      try {
        child.kill(signal)
      } catch {}
    }
    for (const signal of signals) process.on(signal, forward)
    // npm 11 exits on SIGTERM without passing it on; we notice by being re-parented, and stop the child as if told to.
    const launcher = process.env.npm_lifecycle_event ? process.ppid : null
    const orphanWatch = setInterval(() => {
      if (launcher !== null && process.ppid !== launcher) {
        clearInterval(orphanWatch)
        forward('SIGTERM')
      }
    }, 500)
    child.on('error', (error) => {
      console.error(`parley: could not start ${command}: ${error.message}`)
      resolve(127)
    })
    child.on('exit', (code, signal) => {
      clearInterval(orphanWatch)
      for (const name of signals) process.off(name, forward)
      resolve(code ?? 128 + (osConstants.signals[signal] ?? 0))
    })
  })
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2)
  if (mode !== 'up' && mode !== 'test') fail('usage: node scripts/bootstrap.mjs up|test [args…]')
  process.chdir(ROOT)

  ensureSystemPackages(mode)
  const bun = ensureBun()
  // Every later step (and anything they spawn, e.g. package scripts calling `bun`) finds the same bun first.
  const env = { ...process.env, PATH: `${dirname(bun)}${delimiter}${process.env.PATH ?? ''}` }
  ensureDependencies(bun, env)
  buildClient(bun, env)

  if (mode === 'up') {
    process.exit(await runForwarding(bun, ['scripts/supervisor.ts', ...rest], env))
  }

  // One closing line for both runners ("N passed, N failed"), so CI can read the whole suite's result.
  const totals = { passed: 0, failed: 0 }
  const count = (line) => {
    const plain = line.replace(/\x1b\[[0-9;]*m/g, '')
    const match = /^\s*(\d+) (pass|fail|passed|failed)\b/.exec(plain)
    if (match) totals[match[2].startsWith('pass') ? 'passed' : 'failed'] += Number(match[1])
  }
  const finish = (code) => {
    console.log(`tests: ${totals.passed} passed, ${totals.failed} failed`)
    process.exit(code)
  }

  say('running the test suite (bun test)…')
  // bunfig's [test] timeout is not applied by this Bun, so the per-test limit is set here.
  const unitCode = await runForwarding(bun, ['test', '--timeout', '30000', ...rest], env, count)
  if (unitCode !== 0) finish(unitCode)

  // ---- end-to-end step: browser tests (Playwright), when package.json has a `test:e2e` script.
  if (packageScripts()['test:e2e'] && rest.length === 0) {
    say('running the end-to-end tests (bun run test:e2e)…')
    finish(await runForwarding(bun, ['run', 'test:e2e'], env, count))
  }
  finish(0)
}

await main()
