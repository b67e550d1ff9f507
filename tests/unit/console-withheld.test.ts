import { otherErrors, Withheld, type GqlError } from '../../src/console/web/client';

/**
 * The console's reading of an answer's errors: FORBIDDEN paths are what it marks withheld (a field, or
 * everything under a field that was refused whole); any other error is a message, never a marker.
 */
const forbidden = (path: Array<string | number>, reason = 'ROLE'): GqlError => ({ message: 'no', path, extensions: { code: 'FORBIDDEN', reason } });
const errors: GqlError[] = [
  forbidden(['profile', 'email'], 'NO_CONSENT'),
  forbidden(['identities', 'identities']),
  forbidden(['feedback', 'feedback', 'nodes', 2, 'text']),
  { message: 'boom', path: ['segments'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
  { message: 'forbidden without a path', extensions: { code: 'FORBIDDEN' } },
];
const w = new Withheld(errors);

it('a refused field is withheld, with its reason, and so is everything under it', () => {
  expect(w.reason(['profile', 'email'])).toBe('NO_CONSENT');
  expect(w.reason(['identities', 'identities'])).toBe('ROLE');
  expect(w.reason(['identities', 'identities', 0, 'value'])).toBe('ROLE');
  expect(w.reason(['feedback', 'feedback', 'nodes', 2, 'text'])).toBe('ROLE');
});

it('siblings, parents and other list items are not withheld', () => {
  expect(w.reason(['profile', 'emailVerified'])).toBeUndefined(); // a prefix of the name is not the field
  expect(w.reason(['profile'])).toBeUndefined();
  expect(w.reason(['profile', 'phone'])).toBeUndefined();
  expect(w.reason(['feedback', 'feedback', 'nodes', 1, 'text'])).toBeUndefined();
  expect(w.reason(['segments'])).toBeUndefined(); // an internal error is not a withheld field
});

it('tells which panels lost something, and lists what under a root', () => {
  expect(w.within(['profile'])).toBe(true);
  expect(w.within(['identities', 'identities', 0])).toBe(true);
  expect(w.within(['value'])).toBe(false);
  expect(w.below('feedback').map((x) => x.path)).toEqual(['feedback.feedback.nodes.2.text']);
  expect(w.below('feed')).toEqual([]);
});

it('keeps every error that is not a withheld field (a FORBIDDEN one without a path included) for the panel to show', () => {
  expect(otherErrors(errors).map((e) => e.message)).toEqual(['boom', 'forbidden without a path']);
});
