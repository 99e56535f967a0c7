import { UserError } from '../errors.js';

/** `glmflow simulate DIR` — placeholder until the simulator lands (group-level issue). */
export async function simulateCommand(args: string[]): Promise<number> {
  if (!args[0]) throw new UserError('command line: simulate needs an output folder');
  throw new UserError('simulate: not available in this version');
}
