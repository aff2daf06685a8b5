/** `parallel` loops doing `op` until `seconds` are over: ops per second and this process's CPU ms per op. */
export async function opRate(op: () => Promise<unknown>, parallel: number, seconds: number): Promise<{ perSec: number; cpuMs: number }> {
  let done = 0;
  const until = Date.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < until) {
        await op();
        done += 1;
      }
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { perSec: done / wall, cpuMs: (cpu.user + cpu.system) / 1000 / Math.max(1, done) };
}
