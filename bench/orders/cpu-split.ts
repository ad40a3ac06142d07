// Where the CPU of a run goes: user + system time of each service's process (the supervisor's
// children) and of every PostgreSQL backend, read from /proc before and after the measured
// phase. Linux only; elsewhere the split is simply not printed.
import { readdirSync, readFileSync } from 'node:fs';
import { childPid } from '../../tests/e2e/support/distributed-platform.ts';

const TICKS_PER_SECOND = 100;

/** utime + stime of a process in clock ticks, or undefined once it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

function processes(): Array<{ pid: number; ppid: number; cmdline: string }> {
  const found = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      found.push({ pid: Number(name), ppid, cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

export type CpuSnapshot = Map<string, Map<number, number>>;

/**
 * CPU ticks per service (by pid, so a restarted process is not subtracted from another) plus
 * `postgres` (all backends: other clients of the same server included) and `bench` (this process).
 */
export function cpuSnapshot(services: Array<{ name: string; mainModule: string }>): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  const add = (name: string, pid: number) => {
    const ticks = cpuTicks(pid);
    if (ticks === undefined) return;
    const pids = snapshot.get(name) ?? new Map<number, number>();
    pids.set(pid, ticks);
    snapshot.set(name, pids);
  };
  if (process.platform !== 'linux') return snapshot;
  const all = processes();
  const supervisor = all.find(
    (p) => p.ppid === process.pid && p.cmdline.includes('start-distributed'),
  );
  if (supervisor) {
    for (const service of services) {
      const pid = childPid(supervisor.pid, service.mainModule);
      if (pid) add(service.name, pid);
    }
  }
  for (const p of all) if (p.cmdline.startsWith('postgres')) add('postgres', p.pid);
  add('bench', process.pid);
  return snapshot;
}

/** CPU seconds per name between two snapshots, largest first. */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot): Array<[string, number]> {
  const spent: Array<[string, number]> = [];
  for (const [name, pids] of after) {
    let ticks = 0;
    // A process started during the phase (a new backend, a restart) spent all its ticks in it.
    for (const [pid, end] of pids) ticks += end - (before.get(name)?.get(pid) ?? 0);
    spent.push([name, ticks / TICKS_PER_SECOND]);
  }
  return spent.sort((a, b) => b[1] - a[1]);
}
