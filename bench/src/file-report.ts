/** The file benchmark's report: its JSON shape and the markdown table written beside it. */
import type { ConcurrentResult, RunResult } from './file-runs';

export interface FileRound {
  /** Parley's transfers ran before the yardstick's in this round. */
  parleyFirst: boolean;
  /** What priming the page cache before each run of the round cost on average, CPU ms per GiB (pageCacheCost). */
  pageCacheMsPerGiB: number;
  plainUpload: RunResult;
  /** The yardstick with the receiver hashing too (the same work as Parley's end, minus the protocol). */
  plainUploadHashed: RunResult;
  uploadWithClientHash: RunResult;
  uploadShaKnown: RunResult;
  plainDownload: RunResult;
  plainDownloadHashed: RunResult;
  download: RunResult;
}

/** The measured transfers of a round. */
export type FileRunKey = Exclude<keyof FileRound, 'parleyFirst' | 'pageCacheMsPerGiB'>;

export interface FileBenchReport {
  date: string;
  machine: { cpu: string; cores: number; memGiB: number; node: string };
  pinning: string;
  sizeMib: number;
  rounds: FileRound[];
  concurrent?: ConcurrentResult;
  ratios?: { upload: number; uploadWithClientHash: number; download: number; uploadVsHashedCopy: number; downloadVsHashedCopy: number };
  verdicts: string[];
  totalSec: number;
}

const LABELS: [FileRunKey, string][] = [
  ['plainUpload', 'plain socket → file + fdatasync (yardstick)'],
  ['plainUploadHashed', 'plain socket → file + fdatasync, receiver sha256 (yardstick with hashing)'],
  ['uploadShaKnown', 'Parley upload, sha256 known (server hashes, checkpoints, verifies)'],
  ['uploadWithClientHash', 'Parley upload incl. the client hashing the file first'],
  ['plainDownload', 'plain file → socket → file + fdatasync (yardstick)'],
  ['plainDownloadHashed', 'plain file → socket → file + fdatasync, receiver sha256 (yardstick with hashing)'],
  ['download', 'Parley download (client hashes, fdatasyncs, renames)'],
];

function cpuCell(cpu: Record<string, number>): string {
  const f = (k: string) => (cpu[k] === undefined ? '-' : String(cpu[k]));
  return `${f('fileServer')} / ${f('plainCopy')} / ${f('generator')} (core0 ${f('core0')}, core1 ${f('core1')})`;
}

export function renderFileMarkdown(r: FileBenchReport): string {
  const lines = [
    `# File benchmark, ${r.date.slice(0, 19).replace('T', ' ')} UTC`,
    '',
    `${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memGiB} GiB, Node ${r.machine.node}. ${r.pinning}.`,
    `${r.sizeMib} MiB of random bytes over loopback, ${r.rounds.length} round(s); the file server writes to the harness' storage directory on the same disk.`,
    '',
    `Even rounds run Parley's transfers before the yardstick's. Before every run the generator writes and deletes a file of the transfer's size, so each run starts with the same just-freed page cache (this VM hands memory that stays free back to its host, and pages touched again fault there); "page cache" is what that priming cost per GiB, averaged over the round.`,
    '',
    '| round | page cache ms CPU/GiB | transfer | seconds | MiB/s | file-server RSS growth MiB | CPU % file server / plain-copy / generator |',
    '|---|---|---|---|---|---|---|',
  ];
  r.rounds.forEach((round, i) => {
    for (const [key, label] of LABELS) {
      const run = round[key];
      lines.push(`| ${i + 1}${round.parleyFirst ? ' (Parley first)' : ''} | ${round.pageCacheMsPerGiB} | ${label} | ${run.seconds} | ${run.mibPerSec} | ${run.rssGrowthMib ?? '-'} | ${cpuCell(run.cpu)} |`);
    }
  });
  if (r.concurrent) {
    const c = r.concurrent;
    lines.push('', `| concurrent uploads | wall s | aggregate MiB/s | p50 s | p99 s | max s | RSS growth MiB | CPU % file server / generator |`, '|---|---|---|---|---|---|---|---|');
    lines.push(`| ${c.uploads} × ${c.mibEach} MiB | ${c.wallSeconds} | ${c.aggregateMibPerSec} | ${c.perUploadSeconds.p50} | ${c.perUploadSeconds.p99} | ${c.perUploadSeconds.max} | ${c.rssGrowthMib} | ${c.cpu.fileServer ?? '-'} / ${c.cpu.generator ?? '-'} |`);
  }
  lines.push('', ...r.verdicts.map((v) => `- ${v}`), '', `Total ${r.totalSec} s.`, '');
  return lines.join('\n');
}
