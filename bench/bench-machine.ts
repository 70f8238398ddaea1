/** The machine a benchmark ran on, as every results.json records it. */
import { cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  loadAverage: number[];
}

export function describeMachine(): MachineDescription {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
