/**
 * Processes a benchmark starts itself, outside the cluster harness (the bare relay, a chat server or
 * the gate under --cpu-prof): they die with the orchestrator, however it ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT, type Cluster } from '@parley/e2e';

const ownChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of ownChildren) c.kill('SIGKILL');
});

/** Kills `child` when this process exits. */
export function track(child: ChildProcess): ChildProcess {
  ownChildren.add(child);
  child.once('exit', () => ownChildren.delete(child));
  return child;
}

/**
 * Runs server `id` of `kind` (chat, gate, status or file) as our own child with extra node flags (`--cpu-prof` is not
 * allowed in NODE_OPTIONS, so the harness cannot pass it), against the harness' config file, pinned to
 * `cores` when given. Resolves once it logged its ready line; its output is read and dropped.
 */
export async function spawnServer(cluster: Cluster, cores: string | undefined, kind: 'chat' | 'gate' | 'status' | 'file', id: string, nodeArgs: string[]): Promise<ChildProcess> {
  const entry = join(REPO_ROOT, `${kind}-server`, 'dist', 'src', 'main.js');
  const argv = [...nodeArgs, entry, ...(kind === 'chat' || kind === 'file' ? ['--id', id] : [])];
  const options = { env: { ...process.env, PARLEY_CONFIG: cluster.configFile }, stdio: ['ignore', 'pipe', 'pipe'] as ('ignore' | 'pipe')[] };
  const child = track(cores ? spawn('taskset', ['-c', cores, process.execPath, ...argv], options) : spawn(process.execPath, argv, options));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${id} not ready in 20 s: ${stderr}`)), 20_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.includes('"event":"ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${id} exited (${code}) before it was ready: ${stderr}`)));
  });
  return child;
}

/** spawnServer for chat server `id`. */
export function spawnChat(cluster: Cluster, cores: string | undefined, id: string, nodeArgs: string[]): Promise<ChildProcess> {
  return spawnServer(cluster, cores, 'chat', id, nodeArgs);
}

/** SIGTERM (a chat server drains, and node writes its profile on the way out), SIGKILL after timeoutMs. */
export function stopChild(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
