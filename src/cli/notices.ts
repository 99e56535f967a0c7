/**
 * What compiling found out about the data that the user should know although the analysis
 * proceeds: subjects left out of `subjects: all` (and why) and warnings about the data.
 * Written to stderr so that stdout stays the command's output (plan lines, JSON events).
 */
import type { CompiledPipeline } from '../spec/compile.js';

export type NoticeCommand = 'validate' | 'plan' | 'run' | 'graph';

/** The notice lines for a command (without the trailing newline). */
export function noticeLines(c: Pick<CompiledPipeline, 'skipped' | 'warnings' | 'eventWarnings'>, command: NoticeCommand): string[] {
  const lines = c.skipped.map((s) => `glmflow: skipped sub-${s.subject}: ${s.reason}`);
  lines.push(...c.warnings.map((w) => `glmflow: warning: ${w}`));
  // At run time the load nodes report the events warnings themselves.
  if (command === 'validate' || command === 'plan') lines.push(...c.eventWarnings.map((w) => `glmflow: warning: ${w}`));
  return lines;
}

export function printNotices(c: Pick<CompiledPipeline, 'skipped' | 'warnings' | 'eventWarnings'>, command: NoticeCommand, stderr: NodeJS.WritableStream = process.stderr): void {
  for (const line of noticeLines(c, command)) stderr.write(`${line}\n`);
}
