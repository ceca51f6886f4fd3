/**
 * The empty hook chain of `npm run bench -- --only hooks`: a hook with nothing but a name. The
 * runner composes only the members a hook defines, so this is expected to cost nothing.
 */
export default { name: 'empty' };
