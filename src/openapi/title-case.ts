/**
 * mcpo's operation summaries: Python's `name.replace("_", " ").title()`, so a tool keeps the
 * summary it had under mcpo (`get_current_time` → "Get Current Time", `dash-name` → "Dash-Name").
 *
 * @module
 */

/**
 * Python's `str.title()` after `_` → space: a cased letter is upper-cased when it follows an
 * uncased character (or starts the string) and lower-cased when it follows a cased one.
 */
export function titleCase(name: string): string {
  let out = '';
  let previousCased = false;
  for (const char of name.replace(/_/g, ' ')) {
    const upper = char.toUpperCase();
    const lower = char.toLowerCase();
    const cased = upper !== lower || char !== upper;
    out += cased ? (previousCased ? lower : upper) : char;
    previousCased = cased;
  }
  return out;
}
