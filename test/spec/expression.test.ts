import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpressionError, expressionWeights, identifiers, linearize, parseExpression } from '../../src/spec/expression.js';

const cols = ['face', 'scene', 'object', 'face_derivative', 'drift_1', 'constant'];

test('linear contrast expressions give nilearn contrast vectors', () => {
  assert.deepEqual(expressionWeights('face - scene', cols), [1, -1, 0, 0, 0, 0]);
  assert.deepEqual(expressionWeights('0.5*face + 0.5*object', cols), [0.5, 0, 0.5, 0, 0, 0]);
  assert.deepEqual(expressionWeights('(face + object) / 2 - scene', cols), [0.5, -1, 0.5, 0, 0, 0]);
  assert.deepEqual(expressionWeights('-face_derivative + 2 * -(drift_1 - face)', cols), [2, 0, 0, -1, -2, 0]);
  assert.deepEqual(expressionWeights('face - face', cols), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(expressionWeights('1e-1*face', cols), [0.1, 0, 0, 0, 0, 0]);
  // a column name that is not an identifier is matched whole, as nilearn does
  assert.deepEqual(expressionWeights('face up', ['face up', 'b']), [1, 0]);
});

test('expression errors say what and where', () => {
  const msg = (e: string) => {
    try {
      expressionWeights(e, cols);
    } catch (err) {
      assert.ok(err instanceof ExpressionError);
      return `${err.message} @${err.index}`;
    }
    return 'no error';
  };
  assert.equal(msg('face - sceen'), "unknown column 'sceen' @7");
  assert.equal(msg('face -'), "expected a number, a name or '(' but found end of expression @6");
  assert.equal(msg('(face - scene'), "expected ')' but found end of expression @13");
  assert.equal(msg('face * scene'), 'a product of two columns at position 6 is not a linear contrast @5');
  assert.equal(msg('face / scene'), 'division by a column at position 6 is not a linear contrast @5');
  assert.equal(msg('face / 0'), 'division by zero at position 6 @5');
  assert.equal(msg('face + 1'), 'a constant term is not allowed in a contrast expression @0');
  assert.equal(msg('face $ scene'), "unexpected character '$' at position 6 @5");
  assert.equal(msg('face scene'), "unexpected 'scene' at position 6 @5");
  assert.equal(msg(''), 'empty expression @0');
  assert.deepEqual(identifiers(parseExpression('a + 2*b - a')), ['a', 'b']);
  assert.deepEqual(Object.fromEntries(linearize(parseExpression('a + 2*b - a/4 + 3')).weights), { a: 0.75, b: 2 });
});
