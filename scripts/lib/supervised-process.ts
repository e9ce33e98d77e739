// One child process kept alive by the supervisor: prefixed output, restart with backoff, bounded stop.
import type { Subprocess } from 'bun'
import { log, logError, makePrefix, pipeLines } from './output'

export interface ProcessDefinition {
  name: string
  cmd: string[]
  /** Its own process group, so a terminal Ctrl-C reaches only the supervisor, which stops it last (Redis). */
  detached?: boolean
}

export interface SupervisedProcessHooks {
  /** Gives up on the whole stack: restarting would not help (bad config, crash loop). */
  onFatal(reason: string): void
  /** Called after every (re)start, with the new child. */
  onStart?(child: Subprocess): void
}

export interface SupervisedProcessOptions {
  cwd: string
  env: Record<string, string | undefined>
  prefixWidth: number
}

const FATAL_EXIT_WINDOW_MS = 2_000 // exit code 1 this early means bad config or a startup error
const QUICK_CRASH_WINDOW_MS = 10_000
const QUICK_CRASH_LIMIT = 5
const STABLE_AFTER_MS = 30_000 // running this long resets the backoff
const BACKOFF_MAX_MS = 30_000

export class SupervisedProcess {
  readonly name: string
  #definition: ProcessDefinition
  #options: SupervisedProcessOptions
  #hooks: SupervisedProcessHooks
  #prefix: string
  #child: Subprocess | null = null
  #output: Promise<unknown> = Promise.resolve()
  #startedAt = 0
  #quickCrashes = 0
  #restarts = 0
  #restartTimer: ReturnType<typeof setTimeout> | null = null
  #stopping = false

  constructor(definition: ProcessDefinition, options: SupervisedProcessOptions, hooks: SupervisedProcessHooks) {
    this.name = definition.name
    this.#definition = definition
    this.#options = options
    this.#hooks = hooks
    this.#prefix = makePrefix(definition.name, options.prefixWidth)
  }

  get child(): Subprocess | null {
    return this.#child
  }

  start(): void {
    if (this.#stopping) return
    const child = Bun.spawn(this.#definition.cmd, {
      cwd: this.#options.cwd,
      env: this.#options.env,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      detached: this.#definition.detached ?? false,
    })
    this.#child = child
    this.#startedAt = Date.now()
    this.#output = Promise.all([
      pipeLines(child.stdout, this.#prefix, process.stdout),
      pipeLines(child.stderr, this.#prefix, process.stderr),
    ]).catch(() => {}) // @NOTE: a broken pipe at exit loses at most the last partial line.
    void child.exited.then(() => this.#onExit(child))
    this.#hooks.onStart?.(child)
  }

  async #onExit(child: Subprocess): Promise<void> {
    await this.#output
    if (this.#child !== child) return
    const uptime = Date.now() - this.#startedAt
    const how = child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`
    if (this.#stopping) {
      log(`${this.name} stopped (${how})`)
      return
    }
    if (child.exitCode === 1 && uptime < FATAL_EXIT_WINDOW_MS) {
      this.#hooks.onFatal(`${this.name} exited with code 1 right after starting; see its message above`)
      return
    }
    this.#quickCrashes = uptime < QUICK_CRASH_WINDOW_MS ? this.#quickCrashes + 1 : 0
    if (this.#quickCrashes >= QUICK_CRASH_LIMIT) {
      this.#hooks.onFatal(`${this.name} crashed ${QUICK_CRASH_LIMIT} times within ${QUICK_CRASH_WINDOW_MS / 1000} s of starting; giving up`)
      return
    }
    if (uptime >= STABLE_AFTER_MS) this.#restarts = 0
    const delay = Math.min(1000 * 2 ** this.#restarts, BACKOFF_MAX_MS)
    this.#restarts++
    logError(`${this.name} exited unexpectedly (${how} after ${(uptime / 1000).toFixed(1)} s); restarting in ${delay / 1000} s`)
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null
      this.start()
    }, delay)
  }

  /** SIGTERM, then SIGKILL at `deadline` (epoch ms) if it is still running; no restarts afterwards. */
  async stop(deadline: number): Promise<void> {
    this.#stopping = true
    if (this.#restartTimer) clearTimeout(this.#restartTimer)
    this.#restartTimer = null
    const child = this.#child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => false)])
    if (!exited) {
      logError(`${this.name} did not stop in time; killing it`)
      child.kill('SIGKILL')
      await child.exited
    }
    await this.#output
  }
}
