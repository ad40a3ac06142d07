// Where the CPU of a run goes: user + system time of each service's process (the supervisor's
// children), of every PostgreSQL backend, of nats-server and redis-server, read from /proc
// before and after the measured phase, with the read and write system calls and the context
// switches of each. On a virtual machine a system call that wakes another process (a write to
// a socket) costs far more than the JavaScript around it, and these counts barely move with
// the neighbours' load, unlike CPU time. Linux only; elsewhere the split is simply not printed.
import { readdirSync, readFileSync } from 'node:fs';
import { childPid } from '../../tests/e2e/support/distributed-platform.ts';

const TICKS_PER_SECOND = 100;

/** What one process has done so far; the counts are undefined where /proc does not tell. */
interface Usage {
  ticks: number;
  reads?: number;
  writes?: number;
  switches?: number;
}

function field(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/** utime + stime in clock ticks and the counts, or undefined once the process is gone. */
function usage(pid: number): Usage | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const result: Usage = { ticks: Number(fields[11]) + Number(fields[12]) };
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      result.reads = field(io, 'syscr');
      result.writes = field(io, 'syscw');
      // Every thread's: V8's helpers and libuv's pool wake up too.
      let switches = 0;
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
        switches +=
          (field(status, 'voluntary_ctxt_switches') ?? 0) +
          (field(status, 'nonvoluntary_ctxt_switches') ?? 0);
      }
      result.switches = switches;
    } catch {
      // Another user's process: its time only.
    }
    return result;
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

export type CpuSnapshot = Map<string, Map<number, Usage>>;

/** What the processes of one name did between two snapshots. */
export interface Spent {
  name: string;
  seconds: number;
  /** Undefined when /proc did not tell for some process of that name. */
  reads?: number;
  writes?: number;
  switches?: number;
}

/**
 * Usage per service (by pid, so a restarted process is not subtracted from another) plus
 * `postgres` (all backends: other clients of the same server included), `nats-server` and
 * `redis-server` (whoever else uses them too) and `bench` (this process).
 */
export function cpuSnapshot(services: Array<{ name: string; mainModule: string }>): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  const add = (name: string, pid: number) => {
    const used = usage(pid);
    if (used === undefined) return;
    const pids = snapshot.get(name) ?? new Map<number, Usage>();
    pids.set(pid, used);
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
  for (const p of all) {
    if (p.cmdline.startsWith('postgres')) add('postgres', p.pid);
    else if (/(^|\/)nats-server /.test(p.cmdline)) add('nats-server', p.pid);
    else if (/(^|\/)redis-server /.test(p.cmdline)) add('redis-server', p.pid);
  }
  add('bench', process.pid);
  return snapshot;
}

/** Per name, what was done between two snapshots, most CPU first. */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot): Spent[] {
  const spent: Spent[] = [];
  for (const [name, pids] of after) {
    const total: Required<Omit<Spent, 'name'>> = { seconds: 0, reads: 0, writes: 0, switches: 0 };
    let counted = true;
    for (const [pid, end] of pids) {
      // A process started during the phase (a new backend, a restart) did all of it in it.
      const start = before.get(name)?.get(pid) ?? { ticks: 0, reads: 0, writes: 0, switches: 0 };
      total.seconds += (end.ticks - start.ticks) / TICKS_PER_SECOND;
      if (end.reads === undefined || start.reads === undefined) counted = false;
      total.reads += (end.reads ?? 0) - (start.reads ?? 0);
      total.writes += (end.writes ?? 0) - (start.writes ?? 0);
      total.switches += (end.switches ?? 0) - (start.switches ?? 0);
    }
    spent.push(counted ? { name, ...total } : { name, seconds: total.seconds });
  }
  return spent.sort((a, b) => b.seconds - a.seconds);
}
