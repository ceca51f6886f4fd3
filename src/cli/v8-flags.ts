/**
 * Whether the process owner set a V8 flag: on the node command line or in `NODE_OPTIONS`. The
 * executable's own heap settings step aside for the owner's.
 *
 * @module
 */

/** V8 reads `--max_semi_space_size` and `--max-semi-space-size` alike, with `=value` or not. */
function flagName(option: string): string {
  return option.split('=')[0]!.replaceAll('_', '-');
}

export function ownerSetV8Flag(...flags: string[]): boolean {
  const options = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return options.some((option) => flags.includes(flagName(option)));
}
