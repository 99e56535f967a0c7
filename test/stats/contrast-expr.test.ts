import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ContrastExpressionError, contrastVector, expressionToContrastVector, parseContrastExpression, referencedNames,
} from '../../src/stats/first-level/contrast-expr.js';

const COLS = ['face', 'object', 'scene', 'face_delay_1', 'face_delay_2', 'scene_delay_1', 'scene_delay_2', 'drift_1', 'constant'];
const vec = (expr: string, cols: string[] = COLS) => Array.from(contrastVector(parseContrastExpression(expr), cols), (x) => x + 0); // -0 -> 0
const unit = (name: string, w = 1) => COLS.map((c) => (c === name ? w : 0));

test('single names, differences, weighted sums (the manifest contrasts)', () => {
  assert.deepEqual(vec('face'), unit('face'));
  assert.deepEqual(vec('face - scene'), COLS.map((c) => (c === 'face' ? 1 : c === 'scene' ? -1 : 0)));
  assert.deepEqual(vec('0.5*face + 0.5*object'), COLS.map((c) => (c === 'face' || c === 'object' ? 0.5 : 0)));
  assert.deepEqual(
    vec('face_delay_1 + face_delay_2 - scene_delay_1 - scene_delay_2'),
    COLS.map((c) => (c.startsWith('face_delay') ? 1 : c.startsWith('scene_delay') ? -1 : 0)),
  );
});

test('precedence, parentheses, unary minus, division and number formats', () => {
  assert.deepEqual(vec('-face'), unit('face', -1));
  assert.deepEqual(vec('--face'), unit('face', 1));
  assert.deepEqual(vec('2*(face - scene)/4'), COLS.map((c) => (c === 'face' ? 0.5 : c === 'scene' ? -0.5 : 0)));
  assert.deepEqual(vec('face - 2*scene*3'), COLS.map((c) => (c === 'face' ? 1 : c === 'scene' ? -6 : 0)));
  assert.deepEqual(vec('-(face + object) * .5'), COLS.map((c) => (c === 'face' || c === 'object' ? -0.5 : 0)));
  assert.deepEqual(vec('1e-1*face + 2.*scene'), COLS.map((c) => (c === 'face' ? 0.1 : c === 'scene' ? 2 : 0)));
  assert.deepEqual(vec('face*3 - face'), unit('face', 2));
  assert.deepEqual(vec('`face` - `scene`'), vec('face - scene'));
});

test('pandas broadcasting of scalars is reproduced (face + 1 adds 1 to every entry, as nilearn does)', () => {
  assert.deepEqual(vec('face + 1'), COLS.map((c) => (c === 'face' ? 2 : 1)));
});

test('a column name that is not an identifier works when it is the whole expression', () => {
  const cols = ['face-scene', 'trial type', 'constant'];
  assert.deepEqual(Array.from(expressionToContrastVector('face-scene', cols)), [1, 0, 0]);
  assert.deepEqual(Array.from(expressionToContrastVector('trial type', cols)), [0, 1, 0]);
  assert.deepEqual(Array.from(expressionToContrastVector('`trial type` - constant', cols)), [0, 1, -1]);
});

test('unknown names give an error listing the design columns', () => {
  assert.throws(() => vec('facee - scene'), (e: Error) => {
    assert.match(e.message, /Unknown design column "facee"/);
    assert.match(e.message, /face, object, scene, face_delay_1/);
    return true;
  });
});

test('syntax errors show the position', () => {
  const cases: [string, number, RegExp][] = [
    ['face - ', 7, /Expected a column name, a number or '\(' but found end of expression/],
    ['face - )', 7, /found '\)'/],
    ['(face - scene', 13, /Expected '\)' to close the '\(' at column 1/],
    ['face scene', 5, /Expected an operator/],
    ['face $ scene', 5, /Unexpected character '\$'/],
    ['2face', 0, /cannot start with a digit/],
    ['face ** 2', 5, /Unsupported operator/],
    ['', 0, /Empty contrast expression/],
  ];
  for (const [expr, pos, re] of cases) {
    assert.throws(() => parseContrastExpression(expr), (e: unknown) => {
      assert.ok(e instanceof ContrastExpressionError, expr);
      assert.equal(e.position, pos, expr);
      assert.match(e.message, re);
      assert.match(e.message, new RegExp(`at column ${pos + 1}`));
      // the caret line points under the offending character
      const lines = e.message.split('\n');
      assert.equal(lines[2].indexOf('^'), pos + 2);
      return true;
    });
  }
});

test('non-linear expressions are rejected', () => {
  assert.throws(() => vec('face * scene'), /linear combination.*product of two columns/);
  assert.throws(() => vec('1 / face'), /division by a column/);
  assert.throws(() => vec('face / 0'), /division by zero/);
  assert.throws(() => vec('2 + 3'), /does not refer to any design column/);
});

test('referencedNames lists distinct names in order of appearance', () => {
  assert.deepEqual(referencedNames(parseContrastExpression('scene - 0.5*(face + scene) + `obj ect`')), ['scene', 'face', 'obj ect']);
  assert.deepEqual(referencedNames(parseContrastExpression('3')), []);
});
