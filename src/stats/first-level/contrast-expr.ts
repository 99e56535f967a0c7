/**
 * Contrast expressions over design-matrix column names, with the semantics of
 * nilearn's `expression_to_contrast_vector` (0.10.4):
 *
 * - if the whole expression is exactly a column name, the contrast is that
 *   column's unit vector (so any column name works on its own, even one that is
 *   not an identifier);
 * - otherwise nilearn evaluates it with `pandas.DataFrame.eval` on an identity
 *   matrix whose columns are the design columns: every name stands for its unit
 *   vector, numbers are scalars, and + - * / act element-wise with scalars
 *   broadcast (so `face + 1` adds 1 to *every* entry, exactly like nilearn).
 *
 * Grammar (Python precedence; names may be wrapped in backticks like pandas):
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/') unary)*
 *   unary   := ('+' | '-') unary | primary
 *   primary := number | name | '`' any text '`' | '(' expr ')'
 *
 * Non-linear forms that pandas would evaluate to meaningless vectors (the
 * product or quotient of two columns, division by a column or by zero) are
 * rejected with an error instead.
 */

export type ExprNode =
  | { type: 'num'; value: number; pos: number }
  | { type: 'name'; name: string; pos: number }
  | { type: 'neg'; arg: ExprNode; pos: number }
  | { type: 'bin'; op: '+' | '-' | '*' | '/'; left: ExprNode; right: ExprNode; pos: number };

export interface ParsedExpr {
  /** The expression text as given. */
  source: string;
  ast: ExprNode;
}

/** A syntax error in a contrast expression; `position` is 0-based into the text. */
export class ContrastExpressionError extends Error {
  readonly position: number;
  constructor(message: string, source: string, position: number) {
    super(`${message} at column ${position + 1} of contrast "${source}"\n  ${source}\n  ${' '.repeat(position)}^`);
    this.name = 'ContrastExpressionError';
    this.position = position;
  }
}

type Token =
  | { kind: 'num'; value: number; pos: number; text: string }
  | { kind: 'name'; name: string; pos: number; text: string }
  | { kind: 'op'; op: '+' | '-' | '*' | '/' | '(' | ')'; pos: number; text: string }
  | { kind: 'end'; pos: number; text: string };

const NUMBER_RE = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const NAME_RE = /[\p{L}_][\p{L}\p{N}_]*/uy;

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (/\s/.test(ch)) { i++; continue; }
    if ('+-*/()'.includes(ch)) {
      if (ch === '*' && src[i + 1] === '*') throw new ContrastExpressionError("Unsupported operator '**'", src, i);
      tokens.push({ kind: 'op', op: ch as '+', pos: i, text: ch });
      i++;
      continue;
    }
    if (ch === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw new ContrastExpressionError('Unclosed backtick', src, i);
      const name = src.slice(i + 1, end);
      if (name.length === 0) throw new ContrastExpressionError('Empty column name', src, i);
      tokens.push({ kind: 'name', name, pos: i, text: src.slice(i, end + 1) });
      i = end + 1;
      continue;
    }
    NUMBER_RE.lastIndex = i;
    const num = NUMBER_RE.exec(src);
    if (num) {
      const after = src[i + num[0].length];
      if (after !== undefined && /[\p{L}_]/u.test(after)) {
        throw new ContrastExpressionError(`Invalid number '${num[0]}${after}' (a column name cannot start with a digit)`, src, i);
      }
      tokens.push({ kind: 'num', value: Number(num[0]), pos: i, text: num[0] });
      i += num[0].length;
      continue;
    }
    NAME_RE.lastIndex = i;
    const name = NAME_RE.exec(src);
    if (name) {
      tokens.push({ kind: 'name', name: name[0], pos: i, text: name[0] });
      i += name[0].length;
      continue;
    }
    throw new ContrastExpressionError(`Unexpected character '${ch}'`, src, i);
  }
  tokens.push({ kind: 'end', pos: src.length, text: '' });
  return tokens;
}

/** Parse a contrast expression (syntax only; names are checked by `contrastVector`). */
export function parseContrastExpression(expr: string): ParsedExpr {
  if (typeof expr !== 'string') throw new Error('A contrast expression must be a string');
  const tokens = tokenize(expr);
  let k = 0;
  const peek = () => tokens[k];
  const describe = (t: Token) => (t.kind === 'end' ? 'end of expression' : `'${t.text}'`);

  function parseExpr(): ExprNode {
    let left = parseTerm();
    for (;;) {
      const t = peek();
      if (t.kind === 'op' && (t.op === '+' || t.op === '-')) {
        k++;
        const right = parseTerm();
        left = { type: 'bin', op: t.op, left, right, pos: t.pos };
      } else return left;
    }
  }
  function parseTerm(): ExprNode {
    let left = parseUnary();
    for (;;) {
      const t = peek();
      if (t.kind === 'op' && (t.op === '*' || t.op === '/')) {
        k++;
        const right = parseUnary();
        left = { type: 'bin', op: t.op, left, right, pos: t.pos };
      } else return left;
    }
  }
  function parseUnary(): ExprNode {
    const t = peek();
    if (t.kind === 'op' && (t.op === '+' || t.op === '-')) {
      k++;
      const arg = parseUnary();
      return t.op === '-' ? { type: 'neg', arg, pos: t.pos } : arg;
    }
    return parsePrimary();
  }
  function parsePrimary(): ExprNode {
    const t = peek();
    if (t.kind === 'num') { k++; return { type: 'num', value: t.value, pos: t.pos }; }
    if (t.kind === 'name') { k++; return { type: 'name', name: t.name, pos: t.pos }; }
    if (t.kind === 'op' && t.op === '(') {
      k++;
      const inner = parseExpr();
      const close = peek();
      if (!(close.kind === 'op' && close.op === ')')) {
        throw new ContrastExpressionError(`Expected ')' to close the '(' at column ${t.pos + 1} but found ${describe(close)}`, expr, close.pos);
      }
      k++;
      return inner;
    }
    throw new ContrastExpressionError(`Expected a column name, a number or '(' but found ${describe(t)}`, expr, t.pos);
  }

  if (tokens.length === 1) throw new ContrastExpressionError('Empty contrast expression', expr, 0);
  const ast = parseExpr();
  const rest = peek();
  if (rest.kind !== 'end') {
    throw new ContrastExpressionError(`Expected an operator (+ - * /) or the end but found ${describe(rest)}`, expr, rest.pos);
  }
  return { source: expr, ast };
}

/** The distinct column names an expression refers to, in order of first appearance. */
export function referencedNames(parsed: ParsedExpr): string[] {
  const seen = new Set<string>();
  const walk = (n: ExprNode): void => {
    if (n.type === 'name') seen.add(n.name);
    else if (n.type === 'neg') walk(n.arg);
    else if (n.type === 'bin') { walk(n.left); walk(n.right); }
  };
  walk(parsed.ast);
  return [...seen];
}

type Value = { scalar: number; vec?: undefined } | { vec: Float64Array; scalar?: undefined };

function unknownColumnError(name: string, source: string, columns: readonly string[]): Error {
  return new Error(
    `Unknown design column "${name}" in contrast "${source}". The design has columns: ${columns.join(', ')}`,
  );
}

/**
 * The contrast vector (one weight per design column) of a parsed expression.
 * Throws when a name is not a design column (the message lists the columns) or
 * when the expression is not a linear combination of columns.
 */
export function contrastVector(parsed: ParsedExpr, columns: readonly string[]): Float64Array {
  const p = columns.length;
  const exact = columns.indexOf(parsed.source);
  if (exact >= 0) {
    const v = new Float64Array(p);
    v[exact] = 1;
    return v;
  }
  const index = new Map<string, number>();
  columns.forEach((c, i) => { if (!index.has(c)) index.set(c, i); });
  const src = parsed.source;
  const nonLinear = (pos: number, what: string) =>
    new ContrastExpressionError(`The contrast must be a linear combination of design columns (${what})`, src, pos);

  const evalNode = (n: ExprNode): Value => {
    switch (n.type) {
      case 'num':
        return { scalar: n.value };
      case 'name': {
        const i = index.get(n.name);
        if (i === undefined) throw unknownColumnError(n.name, src, columns);
        const v = new Float64Array(p);
        v[i] = 1;
        return { vec: v };
      }
      case 'neg': {
        const a = evalNode(n.arg);
        return a.vec ? { vec: a.vec.map((x) => -x) } : { scalar: -a.scalar! };
      }
      case 'bin': {
        const a = evalNode(n.left);
        const b = evalNode(n.right);
        if (n.op === '*' && a.vec && b.vec) throw nonLinear(n.pos, 'product of two columns');
        if (n.op === '/') {
          if (b.vec) throw nonLinear(n.pos, 'division by a column');
          if (b.scalar === 0) throw nonLinear(n.pos, 'division by zero');
        }
        const f = (x: number, y: number): number =>
          n.op === '+' ? x + y : n.op === '-' ? x - y : n.op === '*' ? x * y : x / y;
        if (!a.vec && !b.vec) return { scalar: f(a.scalar!, b.scalar!) };
        const out = new Float64Array(p);
        for (let i = 0; i < p; i++) out[i] = f(a.vec ? a.vec[i] : a.scalar!, b.vec ? b.vec[i] : b.scalar!);
        return { vec: out };
      }
    }
  };
  const result = evalNode(parsed.ast);
  if (!result.vec) {
    throw new Error(`The contrast "${src}" does not refer to any design column. The design has columns: ${columns.join(', ')}`);
  }
  return result.vec;
}

/**
 * nilearn's expression_to_contrast_vector: the exact-column-name shortcut first
 * (so names with spaces or dashes work alone), then parse and evaluate.
 */
export function expressionToContrastVector(expr: string, columns: readonly string[]): Float64Array {
  const exact = columns.indexOf(expr);
  if (exact >= 0) {
    const v = new Float64Array(columns.length);
    v[exact] = 1;
    return v;
  }
  return contrastVector(parseContrastExpression(expr), columns);
}
