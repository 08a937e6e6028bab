import { describe, expect, it } from 'vitest';
import { queryBytes } from '../../../test/kit.js';
import { answersQuestion } from './question.js';

/** `query` turned into a response (QR set), optionally edited. */
function response(query: Buffer, edit: (b: Buffer) => void = () => undefined): Buffer {
  const b = Buffer.from(query);
  b[2] = b[2]! | 0x80;
  edit(b);
  return b;
}

describe('answersQuestion', () => {
  const q = queryBytes('www.Example.org.', 1);
  const qEnd = q.length;
  const cases: Array<{ name: string; msg: Buffer; want: boolean }> = [
    { name: 'same question', msg: response(q), want: true },
    { name: 'other letter case (0x20)', msg: response(queryBytes('WWW.EXAMPLE.ORG.', 1)), want: true },
    { name: 'query, not a response', msg: Buffer.from(q), want: false },
    { name: 'other name, same length', msg: response(queryBytes('www.example.net.', 1)), want: false },
    { name: 'other type', msg: response(queryBytes('www.example.org.', 28)), want: false },
    { name: 'other class', msg: response(queryBytes('www.example.org.', 1, { qclass: 3 })), want: false },
    { name: 'no question', msg: response(q, (b) => b.writeUInt16BE(0, 4)), want: false },
    { name: 'two questions', msg: response(q, (b) => b.writeUInt16BE(2, 4)), want: false },
    { name: 'shorter than the question', msg: response(q).subarray(0, qEnd - 1), want: false },
    // A label length octet against a letter: 0x03 vs 'C' must not pass as case.
    { name: 'label length vs letter', msg: response(q, (b) => (b[12] = 0x43)), want: false },
  ];
  it.each(cases)('$name', ({ msg, want }) => {
    expect(answersQuestion(q, qEnd, msg)).toBe(want);
  });

  it('treats only letters as case-insensitive ("@" and "`" differ by 0x20 too)', () => {
    const at = queryBytes('a@b.example.', 1);
    expect(answersQuestion(at, at.length, response(queryBytes('a`b.example.', 1)))).toBe(false);
    expect(answersQuestion(at, at.length, response(queryBytes('A@B.example.', 1)))).toBe(true);
  });
});
