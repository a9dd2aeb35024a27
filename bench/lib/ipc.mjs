// Request/response over Node's IPC channel between the orchestrator and its children
// (servers and load generators). Structured-clone serialization carries typed arrays
// (latency samples) without JSON.
import { fork } from 'node:child_process';

const children = new Set();

/** A forked child speaking `{ id, cmd, ...args }` → `{ id, ok, result | error }`. */
export class Child {
  constructor(file, { name, args = [], execArgv = [], env = {} }) {
    this.name = name;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Set();
    /** Events that arrived before anyone waited for them. */
    this.events = [];
    this.exited = false;
    this.stderr = '';
    this.process = fork(file, args, {
      execArgv,
      env: { ...process.env, ...env },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    children.add(this);
    this.process.stderr.on('data', (chunk) => {
      // Keep the tail for error reports; echo so a crash is visible at once.
      this.stderr = (this.stderr + chunk).slice(-4000);
      process.stderr.write(`[${name}] ${chunk}`);
    });
    this.process.on('message', (message) => this.onMessage(message));
    this.exitPromise = new Promise((resolve) =>
      this.process.once('exit', (code, signal) => {
        this.exited = true;
        children.delete(this);
        const error = new Error(
          `${name} exited (${signal ?? code})${this.stderr ? `: ${this.stderr.trim().slice(-600)}` : ''}`,
        );
        for (const { reject } of this.pending.values()) reject(error);
        this.pending.clear();
        for (const listener of this.listeners) listener.reject(error);
        this.listeners.clear();
        resolve({ code, signal });
      }),
    );
  }

  get pid() {
    return this.process.pid;
  }

  onMessage(message) {
    if (message && message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      clearTimeout(waiter.timer);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${this.name}: ${message.error}`));
      return;
    }
    for (const listener of this.listeners) {
      if (listener.event === message?.event) {
        this.listeners.delete(listener);
        clearTimeout(listener.timer);
        listener.resolve(message);
        return;
      }
    }
    this.events.push(message);
  }

  /** Sends a command; rejects when the child fails, exits, or does not answer in time. */
  request(cmd, args = {}, timeoutMs = 30_000) {
    if (this.exited)
      return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(`${this.name}: "${cmd}" timed out after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.process.send({ id, cmd, ...args });
    });
  }

  /** Waits for an unsolicited `{ event }` message (e.g. `ready`). */
  waitFor(event, timeoutMs = 30_000) {
    const early = this.events.findIndex((m) => m?.event === event);
    if (early >= 0) return Promise.resolve(this.events.splice(early, 1)[0]);
    if (this.exited)
      return Promise.reject(new Error(`${this.name} is not running`));
    return new Promise((resolve, reject) => {
      const listener = { event, resolve, reject };
      listener.timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`${this.name}: no "${event}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  /** Asks the child to exit; SIGKILL when it has not within `graceMs`. */
  async stop(graceMs = 5_000) {
    if (this.exited) return;
    this.request('exit', {}, graceMs).catch(() => {});
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  kill() {
    if (!this.exited) this.process.kill('SIGKILL');
  }
}

/** Every child still running: SIGKILL (watchdog, failures, Ctrl-C). */
export function killAllChildren() {
  for (const child of children) child.kill();
}

/**
 * Child side: answers commands with `handlers[cmd](message)`. `exit` is built in.
 * The child exits when the orchestrator goes away, so nothing outlives a run.
 */
export function serveCommands(handlers) {
  process.on('disconnect', () => process.exit(3));
  process.on('message', async (message) => {
    const { id, cmd } = message;
    if (cmd === 'exit') {
      process.send({ id, ok: true, result: null }, () => process.exit(0));
      return;
    }
    try {
      const handler = handlers[cmd];
      if (!handler) throw new Error(`unknown command ${cmd}`);
      const result = await handler(message);
      process.send({ id, ok: true, result: result ?? null });
    } catch (error) {
      process.send({ id, ok: false, error: error?.stack ?? String(error) });
    }
  });
}

/** Wall-clock milliseconds comparable across processes of this machine. */
export function now() {
  return performance.timeOrigin + performance.now();
}
