import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { documentTexts } from './documents.js';

const cut = (text: string): string[] | undefined => documentTexts(Buffer.from(text, 'utf8'));

describe('documentTexts', () => {
  it('cuts at every `---` line, keeping the text whole', () => {
    const text = '# head\na: 1\n---\nb: 2\n--- # c\nc: 3\n---\n';
    const docs = cut(text)!;
    expect(docs).toEqual(['# head\na: 1\n', '---\nb: 2\n', '--- # c\nc: 3\n', '---\n']);
    expect(docs.join('')).toBe(text);
  });

  it('parses to the same documents as the whole file', () => {
    for (const text of [
      'a: 1\n---\n---\nb: 2',
      '--- |\n  x\n---\ny',
      'a: 1\r\n---\r\nb: é\r\n',
      'a: 1\r---\rb: 2\r',
      'a: 1\n...\nb: 2\n---\nc: 3',
      '---a: 1\n---\nb: 1',
    ]) {
      const docs = cut(text)!;
      expect(docs.flatMap((d) => loadAll(d, { schema: CORE_SCHEMA })), JSON.stringify(text)).toEqual(loadAll(text, { schema: CORE_SCHEMA }));
    }
  });

  it('leaves files with directives, byte-order marks or JavaScript-only line ends whole', () => {
    expect(cut('%YAML 1.2\n---\na: 1\n')).toBeUndefined();
    expect(cut('a: 1\n---\n%TAG ! x:\n---\nb: 1\n')).toBeUndefined();
    expect(cut('\uFEFFa: 1\n---\nb: 2\n')).toBeUndefined();
    expect(cut('a: "x\u2028---"\n')).toBeUndefined();
  });
});
