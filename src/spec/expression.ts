/**
 * Contrast expressions: linear combinations of named columns, such as
 * `face - scene`, `0.5*face + 0.5*object`, `(a + b) / 2 - c`.
 *
 * nilearn (expression_to_contrast_vector) first checks whether the whole
 * expression is a column name, and otherwise evaluates it with pandas over an
 * identity matrix, i.e. as a linear form in the columns. This module parses the
 * arithmetic subset that is linear: numbers, identifiers, unary +/-, + - * /
 * and parentheses, where a product needs a constant factor and a divisor must be
 * constant.
 */

export class ExpressionError extends Error {
  /** 0-based character position in the expression. */
  readonly index: number;
  constructor(message: string, index: number) {
    super(message);
    this.name = 'ExpressionError';
    this.index = index;
  }
}

export type Expr =
  | { kind: 'num'; value: number; at: number }
  | { kind: 'id'; name: string; at: number }
  | { kind: 'neg'; arg: Expr; at: number }
  | { kind: 'bin'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr; at: number };

type Token = { t: 'num' | 'id' | 'op' | 'end'; text: string; at: number };

const NUM = /^(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/;
const ID = /^[A-Za-z_][A-Za-z0-9_]*/;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const num = NUM.exec(rest);
    if (num) {
      out.push({ t: 'num', text: num[0], at: i });
      i += num[0].length;
      continue;
    }
    const id = ID.exec(rest);
    if (id) {
      out.push({ t: 'id', text: id[0], at: i });
      i += id[0].length;
      continue;
    }
    if ('+-*/()'.includes(c)) {
      out.push({ t: 'op', text: c, at: i });
      i++;
      continue;
    }
    throw new ExpressionError(`unexpected character '${c}' at position ${i + 1}`, i);
  }
  out.push({ t: 'end', text: '', at: src.length });
  return out;
}

/** Parse an expression (syntax only; any identifiers). */
export function parseExpression(src: string): Expr {
  const toks = tokenize(src);
  let k = 0;
  const peek = () => toks[k];
  const describe = (t: Token) => (t.t === 'end' ? 'end of expression' : `'${t.text}' at position ${t.at + 1}`);

  function expr(): Expr {
    let left = term();
    while (peek().t === 'op' && (peek().text === '+' || peek().text === '-')) {
      const op = toks[k++];
      left = { kind: 'bin', op: op.text as '+' | '-', left, right: term(), at: op.at };
    }
    return left;
  }
  function term(): Expr {
    let left = factor();
    while (peek().t === 'op' && (peek().text === '*' || peek().text === '/')) {
      const op = toks[k++];
      left = { kind: 'bin', op: op.text as '*' | '/', left, right: factor(), at: op.at };
    }
    return left;
  }
  function factor(): Expr {
    const t = toks[k];
    if (t.t === 'op' && (t.text === '-' || t.text === '+')) {
      k++;
      const arg = factor();
      return t.text === '-' ? { kind: 'neg', arg, at: t.at } : arg;
    }
    if (t.t === 'num') {
      k++;
      return { kind: 'num', value: Number(t.text), at: t.at };
    }
    if (t.t === 'id') {
      k++;
      return { kind: 'id', name: t.text, at: t.at };
    }
    if (t.t === 'op' && t.text === '(') {
      k++;
      const inner = expr();
      const close = toks[k];
      if (!(close.t === 'op' && close.text === ')')) throw new ExpressionError(`expected ')' but found ${describe(close)}`, close.at);
      k++;
      return inner;
    }
    throw new ExpressionError(`expected a number, a name or '(' but found ${describe(t)}`, t.at);
  }

  if (toks.length === 1) throw new ExpressionError('empty expression', 0);
  const e = expr();
  if (peek().t !== 'end') throw new ExpressionError(`unexpected ${describe(peek())}`, peek().at);
  return e;
}

/** Names used in an expression, in order of first appearance. */
export function identifiers(e: Expr): string[] {
  const out: string[] = [];
  const walk = (x: Expr) => {
    if (x.kind === 'id') {
      if (!out.includes(x.name)) out.push(x.name);
    } else if (x.kind === 'neg') walk(x.arg);
    else if (x.kind === 'bin') {
      walk(x.left);
      walk(x.right);
    }
  };
  walk(e);
  return out;
}

/** A linear form: sum of weight * name, plus a constant. */
export interface Linear {
  weights: Map<string, number>;
  constant: number;
}

/** Reduce an expression to a linear form; throws ExpressionError when it is not linear. */
export function linearize(e: Expr): Linear {
  switch (e.kind) {
    case 'num':
      return { weights: new Map(), constant: e.value };
    case 'id':
      return { weights: new Map([[e.name, 1]]), constant: 0 };
    case 'neg':
      return scale(linearize(e.arg), -1);
    case 'bin': {
      const a = linearize(e.left);
      const b = linearize(e.right);
      if (e.op === '+' || e.op === '-') {
        const s = e.op === '+' ? 1 : -1;
        const w = new Map(a.weights);
        for (const [n, v] of b.weights) w.set(n, (w.get(n) ?? 0) + s * v);
        return { weights: w, constant: a.constant + s * b.constant };
      }
      if (e.op === '*') {
        if (a.weights.size === 0) return scale(b, a.constant);
        if (b.weights.size === 0) return scale(a, b.constant);
        throw new ExpressionError(`a product of two columns at position ${e.at + 1} is not a linear contrast`, e.at);
      }
      if (b.weights.size > 0) throw new ExpressionError(`division by a column at position ${e.at + 1} is not a linear contrast`, e.at);
      if (b.constant === 0) throw new ExpressionError(`division by zero at position ${e.at + 1}`, e.at);
      return scale(a, 1 / b.constant);
    }
  }
}

function scale(l: Linear, f: number): Linear {
  const w = new Map<string, number>();
  for (const [n, v] of l.weights) w.set(n, v * f);
  return { weights: w, constant: l.constant * f };
}

/**
 * nilearn's expression_to_contrast_vector: the weight of each column.
 * An expression equal to a column name selects that column; otherwise it must be
 * a linear form over column names without a constant term.
 * @throws ExpressionError naming an unknown column (with a close match) or a syntax problem
 */
export function expressionWeights(expression: string, columns: readonly string[]): number[] {
  const exact = columns.indexOf(expression);
  if (exact >= 0) return columns.map((_, i) => (i === exact ? 1 : 0));
  const lin = linearize(parseExpression(expression));
  for (const name of lin.weights.keys()) {
    if (!columns.includes(name)) throw new ExpressionError(`unknown column '${name}'`, expression.indexOf(name));
  }
  if (lin.constant !== 0) throw new ExpressionError('a constant term is not allowed in a contrast expression', 0);
  return columns.map((c) => lin.weights.get(c) ?? 0);
}
