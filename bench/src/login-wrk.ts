/**
 * One wrk step of the login benchmark: `wrk -t2 -c100 -d<sec>s --timeout 10s -s bench/post_login.lua`
 * against the gate, with the CPU every process spent meanwhile — the cluster's servers, MariaDB, Redis,
 * wrk itself (bash's `times`), the gate split by thread (the event loop vs the rest, where argon2 runs)
 * and everything else on the machine — so each can be put per login.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { REPO_ROOT } from '@parley/e2e';
import { MachineWindow, type MachineCpu } from './machine-cpu';
import { cpuSec, threadCpuSec } from './proc-stats';

export interface WrkStep {
  command: string;
  /** 200 answers and others, from post_login.lua's counts. */
  ok: number;
  failed: number;
  seconds: number;
  loginsPerSec: number;
  /** CPU seconds during the step: each named process, `wrk`, and the gate by thread name. */
  cpuSec: Record<string, number>;
  gateThreadsSec: Record<string, number>;
  machine: MachineCpu;
  summary: string;
}

export function wrkInstalled(): boolean {
  return !spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Runs wrk for `seconds` against the gate on `port`; `pids` are the processes to account (gate among them).
 * Asynchronously: the benchmark's event loop keeps playing the chat server's load reports meanwhile (a
 * blocked loop let the chat server go stale at the status-server: NO_CHAT_SERVER after ~15 s).
 */
export async function runWrk(port: number, seconds: number, pids: Record<string, number>, env: Record<string, string>): Promise<WrkStep> {
  const script = join(REPO_ROOT, 'bench', 'post_login.lua');
  // --timeout 10s: under a queue of 100 connections a login can take over wrk's default 2 s without failing.
  const args = ['-t2', '-c100', `-d${seconds}s`, '--timeout', '10s', '-s', script, `http://127.0.0.1:${port}/api/login`];
  const gatePid = pids.gate as number;
  const before = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSec(pid)]));
  const threadsBefore = threadCpuSec(gatePid);
  const machine = new MachineWindow();
  machine.start();
  // bash's `times` prints the CPU time of its children (wrk) on its last line: "0m1.234s 0m0.567s".
  const { stdout: out } = await promisify(execFile)('bash', ['-c', 'wrk "$@"; times', 'wrk', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  const ours = new Set([process.pid, ...Object.values(pids)]);
  const cpu: Record<string, number> = {};
  for (const [n, pid] of Object.entries(pids)) cpu[n] = r3(cpuSec(pid) - (before[n] ?? Number.NaN));
  const gateThreadsSec: Record<string, number> = {};
  // Node names no thread but the main one apart: everything else (libuv's pool with argon2, hashing
  // workers, V8's helpers) is "other threads".
  for (const [name, sec] of threadCpuSec(gatePid)) {
    const key = name === 'main' ? 'main' : 'other threads';
    gateThreadsSec[key] = r3((gateThreadsSec[key] ?? 0) + sec - (threadsBefore.get(name) ?? 0));
  }
  const lines = out.trim().split('\n');
  const times = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1] ?? '');
  if (times) cpu.wrk = r3(Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4]));
  // wrk's own pid is gone by now; it is accounted through `times`, so it must not count as "not ours".
  const machineCpu = machine.stop(ours);
  machineCpu.topOthers = machineCpu.topOthers.filter((o) => !/^(wrk|bash) \(/.test(o));
  // Processes that started and ended within the step (test runs on a shared box) are in no /proc
  // sample: what the cores did beyond our own processes counts as "not ours" too, when that is more.
  const ourPct = (Object.values(cpu).filter(Number.isFinite).reduce((a, b) => a + b, 0) / seconds) * 100;
  const coresPct = Object.values(machineCpu.cores).reduce((a, c) => a + c.user + c.system, 0);
  machineCpu.othersPct = Math.max(machineCpu.othersPct, Math.round((coresPct - ourPct) * 10) / 10);
  const summary = lines.slice(0, times ? -2 : undefined).join('\n');
  const logins = /logins: (\d+) ok, (\d+) not 200/.exec(summary);
  const wall = /requests in ([\d.]+)(m?s)/.exec(summary);
  const wallSec = wall ? Number(wall[1]) / (wall[2] === 'ms' ? 1000 : 1) : seconds;
  const ok = Number(logins?.[1] ?? 0);
  return {
    command: `wrk ${args.join(' ').replace(script, 'bench/post_login.lua')}`,
    ok,
    failed: Number(logins?.[2] ?? 0),
    seconds: wallSec,
    loginsPerSec: Math.round((ok / wallSec) * 10) / 10,
    cpuSec: cpu,
    gateThreadsSec,
    machine: machineCpu,
    summary,
  };
}
