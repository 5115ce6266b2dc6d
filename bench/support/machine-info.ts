import { cpus, loadavg, release, totalmem, type } from 'node:os';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  /** 1, 5 and 15 minute load averages when the run started: a busy machine slows every figure. */
  readonly loadAverage: readonly number[];
}

export const machineInfo = (): MachineInfo => ({
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  node: process.version,
  os: `${type()} ${release()} ${process.arch}`,
  loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
});

export const describeMachine = (m: MachineInfo): string =>
  `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node.replace(/^v/, '')}, ${m.os}`;
